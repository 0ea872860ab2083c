/* GPMB field view: locate me, the parcel under the user, nearby parcels, look-up by
 * commune/sheet/parcel, the parcel card and on-site actions (handover with a GPS fix,
 * notes, photos, inventory checks).
 *
 * Weak signal: every request has a time limit; a failed one shows "no signal, retry" and
 * the card comes from the area taken offline (field-area.js) or the last copy seen. Every
 * field action goes through the queue (field-sync.js): stored on the device first, sent
 * when there is signal, exactly once. Served by the app; no external request. */
(function () {
  "use strict";

  var CFG = window.GPMB_FIELD_CONFIG || {};
  var OLD_QUEUE_KEY = "gpmb-field-queue";  // notes queued by an earlier release
  var CARD_KEY = "gpmb-field-card:";
  var TIMEOUT_MS = 15000;
  var PHOTO_MAX_PX = 1600;
  var PHOTO_QUALITY = 0.72;

  var state = {
    map: null, grid: null, highlight: null, me: null, accuracy: null,
    card: null, selected: null, props: {}, retry: null, fix: null
  };

  var F = window.GPMBF, _ = F._, $ = F.$, esc = F.esc, num = F.num, vnd = F.vnd, date = F.date;
  var withProject = F.withProject;
  var SYNC = window.GPMB_SYNC, AREA = window.GPMB_AREA;
  function colour(step) { return (CFG.colours || {})[step] || "#9aa5b1"; }

  /* ---- network: time-limited requests; "no signal" is a state, not an error ---- */
  function NoSignal() { this.noSignal = true; }

  function request(url, options) {
    var ctrl = window.AbortController ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, TIMEOUT_MS) : null;
    var opts = Object.assign({ credentials: "same-origin", headers: {} }, options || {});
    if (ctrl) { opts.signal = ctrl.signal; }
    return fetch(url, opts).then(function (res) {
      if (timer) { clearTimeout(timer); }
      var saved = res.headers.get("X-GPMB-Offline") === "1";  // answered by the service worker
      state.lastSaved = saved;
      setOnline(!saved);
      if (saved) { showNoSignal(null); }
      return res.json().catch(function () { return {}; }).then(function (body) {
        if (!res.ok) {
          var err = new Error(body.title || body.detail || ("HTTP " + res.status));
          err.status = res.status; err.body = body;
          throw err;
        }
        return body;
      });
    }, function () {
      if (timer) { clearTimeout(timer); }
      setOnline(false);
      throw new NoSignal();
    });
  }

  function getJSON(url) { return request(url, { headers: { "Accept": "application/json" } }); }

  function setOnline(ok) {
    var dot = $("net-dot");
    dot.classList.toggle("offline", !ok);
    if (ok && state.retry && !$("net-status").classList.contains("queued-only")) { hideStatus(); }
    renderQueueState();
  }

  function showNoSignal(retry, text) {
    state.retry = retry || null;
    var box = $("net-status");
    box.hidden = false;
    box.classList.add("offline");
    box.classList.remove("queued-only");
    $("net-text").textContent = text || _("Mất sóng: không gửi/nhận được dữ liệu. Thông tin đã tải vẫn dùng được.");
    $("net-retry").hidden = false;
  }

  function hideStatus() {
    state.retry = null;
    $("net-status").hidden = true;
    $("net-status").classList.remove("offline");
    renderQueueState();
  }

  function failed(err, retry, where) {
    if (err && err.noSignal) { showNoSignal(retry); return; }
    message(where, (err && err.message) || _("Đã xảy ra lỗi."), false);
  }

  function message(where, text, ok) {
    var box = (where && $(where)) || $("panel-msg");
    box.innerHTML = '<div class="msg ' + (ok ? "ok" : "err") + '" role="' + (ok ? "status" : "alert") + '">' + esc(text) + "</div>";
  }

  /* ---- the queue's state in the banner ---- */
  function renderQueueState() {
    var n = SYNC.queue().length;
    var box = $("net-status");
    var text = _("{n} thao tác đang chờ gửi (sẽ tự gửi khi có sóng).", { n: n });
    if (n && box.hidden) {
      box.hidden = false;
      box.classList.add("queued-only");
      box.classList.remove("offline");
      $("net-text").textContent = text;
    } else if (!n && box.classList.contains("queued-only")) {
      box.hidden = true;
      box.classList.remove("queued-only");
    } else if (n && box.classList.contains("queued-only")) {
      $("net-text").textContent = text;
    }
  }

  // Notes an earlier release queued in localStorage join the queue once.
  function adoptOldQueue() {
    var old = [];
    try { old = JSON.parse(localStorage.getItem(OLD_QUEUE_KEY) || "[]"); } catch (e) { old = []; }
    localStorage.removeItem(OLD_QUEUE_KEY);
    return old.reduce(function (p, q) {
      return p.then(function () {
        return SYNC.enqueue({ kind: "note", case_id: q.caseId, parcel_id: q.parcelId, note: q.note,
                              done_at: q.at, base: { version: 1, step: "not_started", paid_vnd: 0, approved_vnd: 0 },
                              label: "" });
      });
    }, Promise.resolve());
  }

  var SAVED = { handover: "Đã ghi nhận bàn giao mặt bằng.", note: "Đã lưu ghi chú.",
                photo: "Đã lưu ảnh vào hồ sơ.", inventory: "Đã lưu kết quả kiểm tra kiểm đếm." };

  // The server answered for a queued action: say so on the card it belongs to.
  function answered(item, answer) {
    var here = state.card && state.card.parcel_id === item.parcel_id;
    if (answer.outcome === "applied") {
      if (item.kind === "handover" && state.props[item.parcel_id]) { state.props[item.parcel_id].step = "handed_over"; }
      if (here) {
        message("card-msg", _(SAVED[item.kind]), true);
        loadCard(item.parcel_id, { keepMessage: true });
      }
      return;
    }
    var why = (answer.reasons || []).map(function (r) { return _(r); }).join(" ");
    var text = answer.outcome === "conflict"
      ? _("Xung đột: “{what}” chưa được ghi vì hồ sơ đã thay đổi. {why} Cán bộ sẽ xử lý; xem danh sách chờ xử lý.", { what: SYNC.describe(item), why: why })
      : _("Máy chủ từ chối “{what}”: {why}", { what: SYNC.describe(item), why: why });
    if (here) { message("card-msg", text, false); } else { message("panel-msg", text, false); }
  }

  /* ---- map ---- */
  function parcelStyle(p) {
    if (p.parcel_id === state.selected) {
      return { fill: true, fillColor: "#00e5ff", fillOpacity: 0.5, color: "#000", weight: 3, opacity: 1 };
    }
    return { fill: true, fillColor: colour(p.step), fillOpacity: 0.6, color: "#37474f",
             weight: 0.8, opacity: 0.9 };
  }

  function initMap() {
    var map = L.map("field-map", { zoomControl: true, attributionControl: false,
                                   tap: false, minZoom: 8, maxZoom: 21 });
    if (CFG.bounds) {  // south, west, north, east of the project
      map.fitBounds([[CFG.bounds[0], CFG.bounds[1]], [CFG.bounds[2], CFG.bounds[3]]]);
    } else {
      map.setView([21.85, 106.76], 11);  // Lạng Sơn city
    }
    state.map = map;
    var grid = L.vectorGrid.protobuf(CFG.tileUrl, {
      rendererFactory: L.canvas.tile, interactive: true, maxNativeZoom: 18, maxZoom: 21,
      getFeatureId: function (f) { return f.properties.parcel_id || ("c" + f.properties.commune); },
      vectorTileLayerStyles: {
        parcels: function (p) { state.props[p.parcel_id] = p; return parcelStyle(p); },
        communes: function () {
          return { radius: 10, fill: true, fillColor: "#0b5d3b", fillOpacity: 0.6, color: "#fff", weight: 2 };
        }
      }
    });
    grid.on("click", function (e) {
      var p = e.layer && e.layer.properties;
      if (p && p.parcel_id) { selectParcel(p.parcel_id); loadCard(p.parcel_id); }
      else if (p && p.commune) { map.setView(e.latlng, 15); }
    });
    grid.addTo(map);
    state.grid = grid;
  }

  function selectParcel(id) {
    var before = state.selected;
    state.selected = id;
    [before, id].forEach(function (pid) {
      if (pid && state.props[pid]) { state.grid.setFeatureStyle(pid, parcelStyle(state.props[pid])); }
    });
  }

  function showOutline(geojson) {
    if (state.highlight) { state.map.removeLayer(state.highlight); state.highlight = null; }
    if (!geojson) { return; }
    state.highlight = L.geoJSON(geojson, {
      interactive: false,
      style: { color: "#00bcd4", weight: 5, opacity: 1, fillColor: "#00e5ff", fillOpacity: 0.25,
               className: "field-highlight" }
    }).addTo(state.map);
  }

  function showMe(lat, lon, accuracy) {
    var ll = [lat, lon];
    if (!state.me) {
      state.me = L.marker(ll, { interactive: false, keyboard: false,
        icon: L.divIcon({ className: "me-dot", iconSize: [18, 18] }) }).addTo(state.map);
      state.accuracy = L.circle(ll, { radius: accuracy || 10, interactive: false, weight: 1,
                                      color: "#1a73e8", fillOpacity: 0.08 }).addTo(state.map);
    } else {
      state.me.setLatLng(ll);
      state.accuracy.setLatLng(ll).setRadius(accuracy || 10);
    }
  }

  /* ---- locate me ---- */
  function locate() {
    var btn = $("locate-me");
    if (!navigator.geolocation) {
      message("panel-msg", _("Thiết bị không hỗ trợ định vị GPS."), false);
      return;
    }
    btn.disabled = true;
    $("panel-hint").textContent = _("Đang xác định vị trí…");
    navigator.geolocation.getCurrentPosition(function (pos) {
      btn.disabled = false;
      var lat = pos.coords.latitude, lon = pos.coords.longitude;
      state.fix = { lat: lat, lon: lon, accuracy_m: pos.coords.accuracy, at: Date.now() };
      showMe(lat, lon, pos.coords.accuracy);
      state.map.setView([lat, lon], Math.max(state.map.getZoom(), 18));
      lookupPoint(lat, lon);
    }, function (err) {
      btn.disabled = false;
      var why = err.code === 1
        ? _("Chưa được phép định vị: hãy cho phép trình duyệt dùng vị trí (trang cần mở qua HTTPS).")
        : _("Không lấy được vị trí GPS; hãy ra chỗ thoáng rồi thử lại.");
      $("panel-hint").textContent = why;
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 10000 });
  }

  function lookupPoint(lat, lon) {
    $("panel-hint").textContent = _("Đang tìm thửa đất tại vị trí của bạn…");
    getJSON(withProject("/field/api/locate?lat=" + lat.toFixed(7) + "&lon=" + lon.toFixed(7)))
      .then(function (data) {
        hideStatusIfOnlyOffline();
        renderNearby(data.nearby, data.card ? data.card.parcel_id : null);
        if (data.card) {
          $("panel-hint").textContent = _("Bạn đang đứng trên thửa đất này:");
          showCard(data.card, false);
          // The whole parcel and the user's dot in view (in the map's size after the
          // card has grown the panel).
          state.map.invalidateSize();
          state.map.fitBounds(state.highlight.getBounds().extend([lat, lon]),
                              { maxZoom: 19, padding: [24, 24] });
        } else {
          $("panel-hint").textContent = _("Vị trí của bạn không nằm trên thửa đất nào có dữ liệu; xem các thửa gần đây bên dưới.");
          $("card").hidden = true;
          showOutline(null);
          selectParcel(null);
        }
      }, function (err) {
        if (!(err && err.noSignal)) {
          $("panel-hint").textContent = _("Chưa tải được thửa đất tại vị trí này.");
          failed(err, function () { lookupPoint(lat, lon); }, "panel-msg");
          return;
        }
        // No signal: the area taken offline answers, on the device.
        AREA.locate(lat, lon).then(function (found) {
          showNoSignal(function () { lookupPoint(lat, lon); });
          if (!found || (!found.card && !found.nearby.length)) {
            $("panel-hint").textContent = _("Chưa tải được thửa đất tại vị trí này.");
            return;
          }
          renderNearby(found.nearby, found.card ? found.card.parcel_id : null);
          if (!found.card) {
            $("panel-hint").textContent = _("Vị trí của bạn không nằm trên thửa đất nào có dữ liệu; xem các thửa gần đây bên dưới.");
            $("card").hidden = true;
            return;
          }
          $("panel-hint").textContent = _("Bạn đang đứng trên thửa đất này:");
          showCard(found.card, found.downloadedAt);
          state.map.invalidateSize();
          state.map.fitBounds(state.highlight.getBounds().extend([lat, lon]), { maxZoom: 19, padding: [24, 24] });
        });
      });
  }

  function hideStatusIfOnlyOffline() {
    if (state.lastSaved) { return; }  // a saved copy: keep saying there is no signal
    if (!$("net-status").classList.contains("queued-only")) { hideStatus(); }
  }

  function renderNearby(items, currentId) {
    var box = $("nearby-box"), list = $("nearby");
    list.innerHTML = "";
    box.hidden = !items || !items.length;
    (items || []).forEach(function (n) {
      var li = document.createElement("li");
      var holders = n.holders ? " · " + esc(n.holders) : "";
      li.innerHTML = '<button type="button" class="parcel-item' + (n.parcel_id === currentId ? " current" : "") + '" data-parcel="' + n.parcel_id + '">' +
        '<span class="swatch" style="background:' + colour(n.step) + '"></span>' +
        '<span class="what">' + esc(_("Thửa {parcel} · tờ {sheet}", { parcel: n.parcel, sheet: n.sheet })) + " — " + esc(_(n.step_label)) +
        "<small>" + esc(n.commune) + holders + "</small></span>" +
        '<span class="dist">' + (n.distance_m < 1 ? esc(_("tại đây")) : num(n.distance_m) + " m") + "</span></button>";
      li.firstChild.addEventListener("click", function () {
        selectParcel(n.parcel_id);
        loadCard(n.parcel_id, { fly: true });
      });
      list.appendChild(li);
    });
  }

  /* ---- look-up by commune + sheet + parcel ---- */
  function openLookup() {
    var form = $("lookup");
    form.hidden = !form.hidden;
    openPanel();
    if (!form.hidden) { $("lookup-sheet").focus(); }
  }

  function submitLookup(ev) {
    ev.preventDefault();
    var url = "/field/api/lookup?commune=" + encodeURIComponent($("lookup-commune").value) +
      "&sheet=" + encodeURIComponent($("lookup-sheet").value) +
      "&parcel=" + encodeURIComponent($("lookup-parcel").value);
    var list = $("lookup-results");
    list.innerHTML = "<li>" + esc(_("Đang tìm…")) + "</li>";
    var where = [$("lookup-commune").value, Number($("lookup-sheet").value), Number($("lookup-parcel").value)];
    getJSON(withProject(url))["catch"](function (err) {
      if (!(err && err.noSignal)) { throw err; }
      // No signal: look in the areas taken offline.
      return AREA.lookup(where[0], where[1], where[2]).then(function (results) {
        showNoSignal(function () { submitLookup(ev); });
        if (!results.length) { throw err; }
        return { results: results };
      });
    }).then(function (data) {
      list.innerHTML = "";
      if (!data.results.length) {
        list.innerHTML = "<li>" + esc(_("Không tìm thấy thửa đất này.")) + "</li>";
        return;
      }
      data.results.forEach(function (h) {
        var li = document.createElement("li");
        var former = h.sheet_commune && h.sheet_commune !== h.commune_code
          ? " · " + esc(_("tờ của xã cũ {code}", { code: h.sheet_commune })) : "";
        li.innerHTML = '<button type="button" class="parcel-item" data-parcel="' + h.parcel_id + '">' +
          '<span class="swatch" style="background:' + colour(h.step) + '"></span>' +
          '<span class="what">' + esc(_("Thửa {parcel} · tờ {sheet}", { parcel: h.parcel, sheet: h.sheet })) + " — " + esc(_(h.step_label)) +
          "<small>" + esc(h.commune) + former + (h.holders ? " · " + esc(h.holders) : "") + "</small></span></button>";
        li.firstChild.addEventListener("click", function () {
          selectParcel(h.parcel_id);
          loadCard(h.parcel_id, { fly: true });
        });
        list.appendChild(li);
      });
      if (data.results.length === 1) {
        selectParcel(data.results[0].parcel_id);
        loadCard(data.results[0].parcel_id, { fly: true });
      }
    }, function (err) {
      list.innerHTML = "";
      failed(err, function () { submitLookup(ev); }, "lookup-results");
    });
  }

  /* ---- the parcel card ---- */
  function loadCard(parcelId, opts) {
    opts = opts || {};
    openPanel();
    return getJSON(withProject("/field/api/parcels/" + parcelId)).then(function (card) {
      hideStatusIfOnlyOffline();
      if (!SYNC.leaving()) {
        try { localStorage.setItem(CARD_KEY + parcelId, JSON.stringify({ at: Date.now(), card: card })); } catch (e) { /* ignore */ }
      }
      showCard(card, false, opts);
      if (opts.fly) { fitCard(card); }
    }, function (err) {
      var saved = null;
      try { saved = JSON.parse(localStorage.getItem(CARD_KEY + parcelId) || "null"); } catch (e) { saved = null; }
      var offline = err && err.noSignal ? AREA.card(parcelId) : Promise.resolve(null);
      return offline.then(function (row) {
        // The newer of the area's copy and the last card seen.
        if (row && (!saved || new Date(row.downloadedAt).getTime() >= saved.at)) {
          saved = { card: row.card, at: new Date(row.downloadedAt).getTime() };
        }
        if (saved && err && err.noSignal) {
          showCard(saved.card, saved.at, opts);
          if (opts.fly) { fitCard(saved.card); }
        } else if (state.card) {
          selectParcel(state.card.parcel_id);  // keep the map in step with the card shown
        }
        failed(err, function () { loadCard(parcelId, opts); }, "panel-msg");
      });
    });
  }

  function fitCard(card) {
    state.map.invalidateSize();
    if (state.highlight) { state.map.fitBounds(state.highlight.getBounds(), { maxZoom: 19, padding: [30, 30] }); }
    else { state.map.setView([card.lat, card.lon], 18); }
  }

  function showCard(card, staleAt, opts) {
    opts = opts || {};
    state.card = card;
    state.cardStale = staleAt;
    selectParcel(card.parcel_id);
    showOutline(card.outline);
    var c = card.case;
    var html = [];
    html.push('<h2 id="card-title">' + esc(_("Thửa {parcel} · tờ {sheet}", { parcel: card.parcel, sheet: card.sheet })) + "</h2>");
    html.push('<p class="sub">' + esc(card.commune) + (card.address ? " · " + esc(card.address) : "") + "</p>");
    if (staleAt) {
      html.push('<p class="stale">' + esc(_("Dữ liệu đã lưu lúc {time} (đang mất sóng).", { time: F.stamp(new Date(staleAt).toISOString()) })) + "</p>");
    }
    html.push('<span class="step-badge" style="background:' + colour(card.step) + '">' + esc(_(card.step_label)) + "</span>");
    html.push('<dl class="facts">');
    html.push("<dt>" + esc(_("Người sử dụng đất")) + "</dt><dd>" + (card.holders.length ? card.holders.map(function (h) {
      return esc(h.name) + (h.share_pct < 100 ? " (" + h.share_pct + "%)" : "") + (h.phone ? " · " + esc(h.phone) : "");
    }).join("<br>") : esc(_("Chưa có"))) + "</dd>");
    html.push("<dt>" + esc(_("Loại đất")) + "</dt><dd>" + esc(card.land_use) + " — " + esc(_(card.land_use_name)) + "</dd>");
    html.push("<dt>" + esc(_("Diện tích")) + "</dt><dd>" + num(card.legal_area_m2, 1) + " m²</dd>");
    if (c) {
      html.push("<dt>" + esc(_("Dự án")) + "</dt><dd>" + esc(c.project) + "</dd>");
      html.push("<dt>" + esc(_("Thu hồi")) + "</dt><dd>" + num(c.recovered_area_m2, 1) + " m²</dd>");
      if (c.deadline) {
        var d = c.deadline;
        var left = d.overdue ? _("quá hạn {n} ngày", { n: -d.days_left }) : _("còn {n} ngày", { n: d.days_left });
        html.push("<dt>" + esc(_("Hạn tiếp theo")) + '</dt><dd class="deadline' + (d.overdue ? " overdue" : "") + '">' +
          esc(_(d.label)) + ": " + date(d.due_date) + " (" + esc(left) + ")</dd>");
      }
      html.push("<dt>" + esc(_("Đã chi trả")) + "</dt><dd>" + vnd(c.paid_vnd) + " / " + vnd(c.approved_vnd) + "</dd>");
      html.push("<dt>" + esc(_("Còn phải trả")) + "</dt><dd>" + vnd(c.outstanding_vnd) + "</dd>");
      if (c.complaint_open) { html.push("<dt>" + esc(_("Khiếu nại")) + "</dt><dd>" + esc(_("Đang giải quyết")) + "</dd>"); }
      if (c.handover_date) { html.push("<dt>" + esc(_("Ngày bàn giao")) + "</dt><dd>" + date(c.handover_date) + "</dd>"); }
    }
    html.push("</dl>");
    if (!c) {
      html.push('<p class="hint">' + esc(_("Thửa đất này không có hồ sơ GPMB (ngoài phạm vi thu hồi).")) + "</p>");
    } else {
      html.push('<div id="card-msg"></div>');
      html.push(actionsHtml(c));
      html.push("<h2>" + esc(_("Lịch sử gần đây")) + "</h2>");
      html.push('<ul class="history" id="card-history">' + pendingHtml(c.id) + c.history.map(function (e) {
        return "<li><span class=\"date\">" + date(e.date) + "</span> <strong>" + esc(_(e.what)) + "</strong>" +
          (e.decision_no ? " · " + esc(e.decision_no) : "") + (e.note ? "<br>" + esc(e.note) : "") +
          (e.by ? ' <span class="date">— ' + esc(e.by) + "</span>" : "") + "</li>";
      }).join("") + "</ul>");
      if (c.photos.count) {
        html.push('<p class="hint">' + esc(_("{n} ảnh hiện trường đã lưu trong hồ sơ.", { n: c.photos.count })) + "</p>");
      }
    }
    var box = $("card");
    var keep = opts.keepMessage && $("card-msg") ? $("card-msg").innerHTML : "";
    box.innerHTML = html.join("");
    box.hidden = false;
    if (keep && $("card-msg")) { $("card-msg").innerHTML = keep; }
    bindActions(card);
  }

  function pendingHtml(caseId) {
    return SYNC.pendingFor(caseId).map(function (q) {
      return '<li class="pending" data-key="' + esc(q.key) + '"><span class="date">' + esc(_("chờ gửi")) + "</span> " +
        esc(SYNC.describe(q)) + "</li>";
    }).join("");
  }

  var INVENTORY_ITEMS = ["Nhà ở", "Công trình phụ", "Tường rào", "Giếng nước", "Cây lâu năm", "Hoa màu", "Mồ mả"];

  function actionsHtml(c) {
    var out = [];
    if (!c.may_write) {
      out.push('<p class="why-not">' + esc(c.write_refusal || _("Bạn không có quyền ghi nhận thao tác hiện trường.")) + "</p>");
      return out.join("");
    }
    out.push("<h2>" + esc(_("Thao tác tại hiện trường")) + "</h2>");
    var waiting = SYNC.pendingFor(c.id).some(function (q) { return q.kind === "handover"; });
    if (waiting) {
      out.push('<p class="pending-note" id="handover-queued">' + esc(_("Xác nhận bàn giao đang chờ gửi lên máy chủ.")) + "</p>");
    } else if (c.handover.allowed) {
      out.push('<button type="button" id="handover" class="btn btn-primary btn-block">' + esc(_("Xác nhận bàn giao mặt bằng tại hiện trường")) + "</button>");
      out.push('<div id="handover-confirm" class="confirm-row" hidden>' +
        '<label for="handover-minutes">' + esc(_("Số biên bản bàn giao (ký hôm nay)")) + '</label>' +
        '<input id="handover-minutes" type="text" inputmode="text" placeholder="21/BB-BGMB" maxlength="100">' +
        '<button type="button" id="handover-yes" class="btn btn-warn">' + esc(_("Đúng, đã bàn giao hôm nay")) + "</button>" +
        '<button type="button" id="handover-no" class="btn btn-light">' + esc(_("Huỷ")) + "</button></div>");
    } else {
      out.push('<p class="why-not" id="handover-why"><strong>' + esc(_("Chưa thể xác nhận bàn giao:")) + "</strong> " + esc(_(c.handover.reason)) + "</p>");
    }
    out.push('<label for="note-text">' + esc(_("Ghi chú hiện trường")) + "</label>");
    out.push('<textarea id="note-text" maxlength="2000" placeholder="' + esc(_("Ví dụ: hộ dân hẹn bàn giao sau thu hoạch")) + '"></textarea>');
    out.push('<button type="button" id="note-save" class="btn btn-primary btn-block">' + esc(_("Lưu ghi chú")) + "</button>");
    out.push('<label class="btn btn-light btn-block photo-label" for="photo-input">' + esc(_("Chụp ảnh hiện trường")) +
      '<input id="photo-input" type="file" accept="image/*" capture="environment" multiple></label>');
    out.push('<fieldset class="inventory"><legend>' + esc(_("Kiểm tra nhanh kiểm đếm")) + "</legend>" +
      '<label for="inventory-item">' + esc(_("Hạng mục")) + "</label>" +
      '<input id="inventory-item" list="inventory-items" maxlength="200" placeholder="' + esc(_("Ví dụ: Công trình phụ")) + '">' +
      '<datalist id="inventory-items">' + INVENTORY_ITEMS.map(function (i) { return '<option value="' + esc(_(i)) + '">'; }).join("") + "</datalist>" +
      '<div class="confirm-row"><button type="button" id="inventory-found" class="btn btn-light">' + esc(_("Còn")) + "</button>" +
      '<button type="button" id="inventory-gone" class="btn btn-light">' + esc(_("Không còn")) + "</button></div></fieldset>");
    return out.join("");
  }

  function base(card) {
    var c = card.case;
    return { version: c.version, step: card.step, paid_vnd: c.paid_vnd, approved_vnd: c.approved_vnd,
             complaint_open: !!c.complaint_open, handover_date: c.handover_date || null };
  }

  function label(card) {
    return _("Thửa {parcel} · tờ {sheet}", { parcel: card.parcel, sheet: card.sheet }) + ", " + card.commune;
  }

  // Queue one action on the card's case; it is sent when there is signal.
  function queueAction(card, action, photo) {
    var item = Object.assign({ case_id: card.case.id, parcel_id: card.parcel_id, base: base(card),
                               label: label(card) }, action);
    return SYNC.enqueue(item, photo).then(function (queued) {
      var hist = $("card-history");
      if (hist && state.card && state.card.parcel_id === card.parcel_id && !hist.querySelector('[data-key="' + queued.key + '"]')) {
        hist.insertAdjacentHTML("afterbegin", pendingHtml(card.case.id).split("</li>").filter(function (li) {
          return li.indexOf(queued.key) >= 0;
        }).join("") + "</li>");
      }
      return queued;
    });
  }

  function bindActions(card) {
    var c = card.case;
    if (!c || !c.may_write) { return; }
    var ho = $("handover");
    if (ho) {
      ho.addEventListener("click", function () { $("handover-confirm").hidden = false; ho.hidden = true; });
      $("handover-no").addEventListener("click", function () { $("handover-confirm").hidden = true; ho.hidden = false; });
      $("handover-yes").addEventListener("click", function () { handover(card); });
    }
    $("note-save").addEventListener("click", function () {
      var text = $("note-text").value.trim();
      if (!text) { message("card-msg", _("Hãy nhập nội dung ghi chú."), false); return; }
      $("note-text").value = "";
      message("card-msg", _("Đang gửi ghi chú…"), true);
      queueAction(card, { kind: "note", note: text });
    });
    $("photo-input").addEventListener("change", function (ev) {
      var files = Array.prototype.slice.call(ev.target.files || []);
      var note = $("note-text").value.trim();
      files.reduce(function (p, file) {
        return p.then(function () { return photo(card, file, note); });
      }, Promise.resolve()).then(function () { ev.target.value = ""; });
    });
    function inventory(found) {
      var item = $("inventory-item").value.trim();
      if (!item) { message("card-msg", _("Hãy ghi hạng mục cần kiểm tra (ví dụ: Công trình phụ)."), false); return; }
      $("inventory-item").value = "";
      queueAction(card, { kind: "inventory", inventory_item: item, inventory_found: found,
                          note: $("note-text").value.trim() || null });
    }
    $("inventory-found").addEventListener("click", function () { inventory(true); });
    $("inventory-gone").addEventListener("click", function () { inventory(false); });
  }

  // A GPS fix for the handover: a fresh one, or the last one if it is recent enough.
  function fix() {
    return new Promise(function (resolve) {
      var recent = state.fix && Date.now() - state.fix.at < 5 * 60000 ? state.fix : null;
      if (!navigator.geolocation) { resolve(recent); return; }
      navigator.geolocation.getCurrentPosition(function (pos) {
        state.fix = { lat: pos.coords.latitude, lon: pos.coords.longitude, accuracy_m: pos.coords.accuracy, at: Date.now() };
        resolve(state.fix);
      }, function () { resolve(recent); }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  function handover(card) {
    $("handover-yes").disabled = true;
    var minutes = $("handover-minutes").value.trim();
    if (!minutes) { $("handover-yes").disabled = false; message("card-msg", _("Hãy nhập số biên bản bàn giao."), false); return; }
    fix().then(function (gps) {
      if (!gps) {
        $("handover-yes").disabled = false;
        message("card-msg", _("Cần vị trí GPS để xác nhận bàn giao tại hiện trường: hãy bật định vị rồi thử lại."), false);
        return null;
      }
      message("card-msg", _("Đã lưu xác nhận bàn giao trên máy (GPS ±{m} m); đang gửi…", { m: num(gps.accuracy_m) }), true);
      return queueAction(card, { kind: "handover", gps: { lat: gps.lat, lon: gps.lon, accuracy_m: gps.accuracy_m },
                                 minutes_no: minutes, note: $("note-text").value.trim() || null }).then(function () {
        showCard(state.card, state.cardStale, { keepMessage: true });
      });
    });
  }

  /* ---- photos: downscaled on the device, then queued ---- */
  function downscale(file) {
    return new Promise(function (resolve, reject) {
      var url = URL.createObjectURL(file);
      var img = new Image();
      img.onload = function () {
        var scale = Math.min(1, PHOTO_MAX_PX / Math.max(img.naturalWidth, img.naturalHeight));
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(img.naturalWidth * scale));
        canvas.height = Math.max(1, Math.round(img.naturalHeight * scale));
        canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
        URL.revokeObjectURL(url);
        canvas.toBlob(function (blob) { blob ? resolve(blob) : reject(new Error("toBlob")); }, "image/jpeg", PHOTO_QUALITY);
      };
      img.onerror = function () { URL.revokeObjectURL(url); reject(new Error("decode")); };
      img.src = url;
    });
  }

  function photo(card, file, note) {
    message("card-msg", _("Đang thu nhỏ ảnh…"), true);
    return downscale(file).then(function (blob) {
      message("card-msg", _("Ảnh ({kb} KB) đã lưu trên máy; đang gửi…", { kb: Math.round(blob.size / 1024) }), true);
      return queueAction(card, { kind: "photo", note: note || null }, blob);
    }, function () {
      message("card-msg", _("Không đọc được ảnh này; hãy chụp lại."), false);
    });
  }

  /* ---- panel ---- */
  function openPanel() {
    var panel = $("field-panel");
    panel.classList.remove("collapsed");
    $("panel-toggle").setAttribute("aria-expanded", "true");
    if (state.map) { setTimeout(function () { state.map.invalidateSize(); }, 50); }
  }

  function togglePanel() {
    var panel = $("field-panel");
    var collapsed = panel.classList.toggle("collapsed");
    $("panel-toggle").setAttribute("aria-expanded", collapsed ? "false" : "true");
    setTimeout(function () { state.map.invalidateSize(); }, 50);
  }

  /* ---- start ---- */
  function start() {
    initMap();
    $("locate-me").addEventListener("click", locate);
    $("open-lookup").addEventListener("click", openLookup);
    $("lookup").addEventListener("submit", submitLookup);
    $("panel-toggle").addEventListener("click", togglePanel);
    $("net-retry").addEventListener("click", function () {
      var retry = state.retry;
      hideStatus();
      SYNC.flush().then(function () {
        if (SYNC.failure() === "unreachable" && !retry) { showNoSignal(null); }
      });
      if (retry) { retry(); }
    });
    window.addEventListener("online", function () { setOnline(true); });
    window.addEventListener("offline", function () { setOnline(false); showNoSignal(SYNC.flush); });
    window.addEventListener("resize", function () { state.map.invalidateSize(); });
    AREA.start();
    SYNC.start({ answered: answered, changed: renderQueueState, opened: openPanel })
      .then(adoptOldQueue);
    if ("serviceWorker" in navigator && window.isSecureContext) {
      navigator.serviceWorker.register("/field/sw.js", { scope: "/field" }).then(function () {
        return navigator.serviceWorker.ready;
      }).then(function () {
        // This very page (with its ?project=) for a reload without signal.
        return window.caches && caches.open("gpmb-field-v1").then(function (cache) {
          return cache.add(location.pathname + location.search);
        });
      }).catch(function () {
        /* the page works without it, only not after a reload without signal */
      });
    }
  }

  window.GPMB_FIELD = {
    map: function () { return state.map; },
    card: function () { return state.card; },
    selected: function () { return state.selected; },
    highlighted: function () { return state.highlight ? state.highlight.getLayers().length : 0; },
    drawn: function () { return Object.keys(state.props).length; },
    queue: function () { return SYNC.queue(); },
    answers: function () { return SYNC.answers(); },
    flush: function () { return SYNC.flush(); }
  };

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); }
  else { start(); }
})();
