/* GPMB project map: styling and filters on vector-tile properties, search, the parcel
 * panel and the shareable view in the URL hash. Served by the app; no external request. */
(function () {
  "use strict";

  var HIDDEN = { fill: true, fillOpacity: 0.04, fillColor: "#9aa5b1", color: "#9aa5b1",
                 weight: 0.4, opacity: 0.35 };
  var state = {
    map: null, grid: null, config: null,
    steps: null,            // Set of visible steps (null: all)
    commune: "", landUse: "", overdue: false,
    selected: null,         // parcel id shown in the panel
    props: {},              // parcel id -> tile properties seen so far
    summarySeq: 0,          // the latest filter summary asked for (older answers are dropped)
    outline: null           // the outline of a parcel found outside the project's footprint
  };

  function $(id) { return document.getElementById(id); }

  /* Vietnamese first: the Vietnamese text is the key of the English catalogue the page
   * injects (window.GPMB_EN) when English is chosen; "{name}" placeholders are filled. */
  function _(text, values) {
    var out = (window.GPMB_EN || {})[text] || text;
    return values ? out.replace(/\{(\w+)\}/g, function (m, k) {
      return values[k] !== undefined ? values[k] : m;
    }) : out;
  }
  function english() { return document.documentElement.lang === "en"; }

  function matches(p) {
    if (state.steps && !state.steps.has(p.step)) { return false; }
    if (state.commune && p.commune !== state.commune) { return false; }
    if (state.landUse && p.land_use !== state.landUse) { return false; }
    if (state.overdue && !p.overdue) { return false; }
    return true;
  }

  function parcelStyle(p) {
    if (p.parcel_id === state.selected) {
      return { fill: true, fillColor: "#00e5ff", fillOpacity: 0.55, color: "#000",
               weight: 3, opacity: 1 };
    }
    if (!matches(p)) { return HIDDEN; }
    var colour = state.config.colours[p.step] || "#9aa5b1";
    return { fill: true, fillColor: colour, fillOpacity: 0.7,
             color: p.overdue ? "#e00000" : "#37474f",
             weight: p.overdue ? 2.2 : 0.6, opacity: 0.9 };
  }

  /* Numbers and days as the server formats them: 1.234 in Vietnamese, 1,234 in English;
   * days 05/03/2025 in both (gis.formats). */
  function format(n) {
    return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, english() ? "," : ".");
  }
  function formatHa(m2) {
    var ha = (Math.round(m2 / 100) / 100).toFixed(2);
    return english() ? ha.replace(/\B(?=(\d{3})+(?!\d))/g, ",")
                     : ha.replace(".", ",").replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  }
  function formatShare(n) {
    var text = String(Math.round(n * 100) / 100);
    return english() ? text : text.replace(".", ",");
  }
  function formatDate(iso) {
    if (!iso) { return ""; }
    var d = iso.slice(0, 10).split("-");
    return d[2] + "/" + d[1] + "/" + d[0];
  }
  function esc(text) {
    var div = document.createElement("div");
    div.textContent = text === null || text === undefined ? "" : String(text);
    return div.innerHTML;
  }

  function restyleAll() {
    Object.keys(state.props).forEach(function (id) {
      var p = state.props[id];
      state.grid.setFeatureStyle(p.parcel_id, parcelStyle(p));
    });
    writeHash();
  }

  function filtered() {
    return Boolean(state.steps || state.commune || state.landUse || state.overdue);
  }

  /* ---- the filters answered by the server: count, extent, legend figures ---- */
  function summaryQuery() {
    var q = [];
    if (state.commune) { q.push("commune=" + encodeURIComponent(state.commune)); }
    if (state.landUse) { q.push("land_use=" + encodeURIComponent(state.landUse)); }
    if (state.overdue) { q.push("overdue=true"); }
    if (state.steps) {  // none ticked: asked without, counted as nothing below
      state.steps.forEach(function (s) { q.push("step=" + encodeURIComponent(s)); });
    }
    return q.join("&");
  }

  function showSummary(d) {
    var count = $("filter-count");
    count.dataset.matching = d.matching;
    count.dataset.total = d.total;
    count.textContent = _("Đang hiện {shown} / {total} thửa",
                          { shown: format(d.matching), total: format(d.total) });
    var area = 0;
    document.querySelectorAll("#legend tbody tr[data-step]").forEach(function (tr) {
      var f = d.steps[tr.dataset.step] || { cases: 0, area_m2: 0 };
      tr.querySelector(".count").textContent = format(f.cases);
      tr.querySelector(".area").textContent = formatHa(f.area_m2) + " ha";
      var on = !state.steps || state.steps.has(tr.dataset.step);
      tr.classList.toggle("muted", !on);
      if (on) { area += f.area_m2; }
    });
    $("legend-total").textContent = format(d.matching);
    $("legend-area").textContent = formatHa(area) + " ha";
    $("filter-empty").hidden = d.matching > 0;
    var note = $("outside-note");
    note.dataset.outside = d.outside;
    note.hidden = !d.outside;
    note.textContent = _("{n} thửa đã nạp ở các xã này nằm ngoài phạm vi thu hồi của dự án nên không hiện trên bản đồ; tìm theo tờ/thửa để xem vị trí.",
                         { n: format(d.outside) });
    var pending = $("not-overlaid-note");
    pending.dataset.notOverlaid = d.not_overlaid;
    pending.hidden = !d.not_overlaid;
    pending.textContent = _("{n} thửa đã nạp nằm trong phạm vi thu hồi nhưng chưa có hồ sơ GPMB (nạp sau lần chồng xếp gần nhất): chạy lại chồng xếp (gpmb import overlay {code}) để tạo hồ sơ.",
                            { n: format(d.not_overlaid), code: state.config.project });
  }

  /* Ask the server what the filters select; with ``fit``, move the map to it (the whole
   * project when no filter is left). */
  function refreshSummary(fit) {
    var seq = ++state.summarySeq, error = $("filter-error");
    document.body.dataset.summary = "loading";
    var query = summaryQuery();
    return fetch(state.config.summaryUrl + (query ? "?" + query : ""),
                 { headers: { Accept: "application/json" } })
      .then(function (r) {
        return r.json().then(function (body) {
          if (!r.ok) { throw new Error(body.detail || String(r.status)); }
          return body;
        });
      })
      .then(function (d) {
        if (seq !== state.summarySeq) { return; }
        if (state.steps && !state.steps.size) { d.matching = 0; d.bounds = null; }
        error.hidden = true;
        showSummary(d);
        if (fit) {
          var bounds = filtered() ? d.bounds : state.config.bounds;
          if (bounds) {
            state.map.fitBounds(bounds, { maxZoom: 17, padding: [30, 30], animate: false });
          }
        }
        document.body.dataset.summary = String(seq);
      })
      .catch(function (err) {
        if (seq !== state.summarySeq) { return; }
        error.textContent = english() ? _("Không tải được số thửa khớp bộ lọc.") + " (" + err.message + ")"
                                      : err.message;
        error.hidden = false;
        document.body.dataset.summary = "error";
      });
  }

  function filtersChanged() {
    restyleAll();
    refreshSummary(true);
  }

  /* ---- Km labels: never two on top of each other ----
   * Every kilometre has a label; after each zoom the labels are shown greedily, whole
   * tens first, then fives, then the others, each only where it meets no label already
   * shown (commune names included), so a zoomed-out view keeps a readable few and a zoomed-in one shows them all. */
  function kmRank(el) {
    var km = Number((el.textContent.match(/\d+/) || ["0"])[0]);
    return [km % 10 === 0 ? 0 : km % 5 === 0 ? 1 : 2, km];
  }

  function thinKmLabels() {
    if (!state.map) { return; }
    var pane = state.map.getPane("tooltipPane");
    var labels = Array.from(pane.querySelectorAll(".gpmb-km-label"));
    labels.forEach(function (el) { el.style.visibility = ""; });
    labels.sort(function (a, b) {
      var ra = kmRank(a), rb = kmRank(b);
      return ra[0] - rb[0] || ra[1] - rb[1];
    });
    // Commune names are placed first: a Km label never covers one.
    var shown = Array.from(pane.querySelectorAll(".gpmb-commune-label")).map(function (el) {
      return el.getBoundingClientRect();
    }), communes = shown.length, gap = 2;
    labels.forEach(function (el) {
      var r = el.getBoundingClientRect();
      var free = shown.every(function (s) {
        return r.right + gap <= s.left || s.right + gap <= r.left ||
               r.bottom + gap <= s.top || s.bottom + gap <= r.top;
      });
      if (free) { shown.push(r); } else { el.style.visibility = "hidden"; }
    });
    document.body.dataset.kmLabels = String(shown.length - communes);
  }

  /* ---- URL hash: #map=z/lat/lon&p=ID&step=a,b&commune=..&lu=..&overdue=1 ---- */
  function writeHash() {
    if (!state.map) { return; }
    var c = state.map.getCenter();
    var parts = ["map=" + state.map.getZoom() + "/" + c.lat.toFixed(5) + "/" + c.lng.toFixed(5)];
    if (state.selected) { parts.push("p=" + state.selected); }
    if (state.steps) { parts.push("step=" + Array.from(state.steps).join(",")); }
    if (state.commune) { parts.push("commune=" + encodeURIComponent(state.commune)); }
    if (state.landUse) { parts.push("lu=" + encodeURIComponent(state.landUse)); }
    if (state.overdue) { parts.push("overdue=1"); }
    var hash = "#" + parts.join("&");
    if (location.hash !== hash) { history.replaceState(null, "", hash); }
    var share = $("share-url");
    if (share) { share.value = location.href; }
  }

  function readHash() {
    var out = {};
    location.hash.replace(/^#/, "").split("&").forEach(function (kv) {
      var i = kv.indexOf("=");
      if (i > 0) { out[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1)); }
    });
    return out;
  }

  function applyHash() {
    var h = readHash(), fitted = false;
    if (h.map) {
      var v = h.map.split("/").map(Number);
      if (v.length === 3 && v.every(isFinite)) {
        state.map.setView([v[1], v[2]], v[0], { animate: false });
        fitted = true;
      }
    }
    if (!fitted && state.config.bounds) { state.map.fitBounds(state.config.bounds, { animate: false }); }
    if (h.step !== undefined) {
      state.steps = new Set(h.step ? h.step.split(",") : []);
      document.querySelectorAll(".step-filter").forEach(function (box) {
        box.checked = state.steps.has(box.value);
      });
    }
    state.commune = h.commune || "";
    state.landUse = h.lu || "";
    state.overdue = h.overdue === "1";
    if ($("filter-commune")) { $("filter-commune").value = state.commune; }
    if ($("filter-landuse")) { $("filter-landuse").value = state.landUse; }
    if ($("filter-overdue")) { $("filter-overdue").checked = state.overdue; }
    if (h.p) { select(Number(h.p)); }
    return fitted;
  }

  /* ---- the parcel panel ---- */
  function row(label, value) {
    return "<tr><th>" + esc(label) + "</th><td>" + value + "</td></tr>";
  }

  function sheetParcel(sheet, parcel) {
    return esc(_("Tờ {sheet} · Thửa {parcel}", { sheet: sheet, parcel: parcel }));
  }

  function renderPanel(d) {
    var html = "<h2 id=\"panel-title\">" + sheetParcel(d.sheet, d.parcel) + "</h2>";
    html += "<p class=\"step-badge\" style=\"background:" + (state.config.colours[d.step] || "#999") +
            "\" id=\"panel-step\" data-step=\"" + esc(d.step) + "\">" + esc(_(d.step_label)) + "</p>";
    html += "<table class=\"kv\">";
    html += row(_("Xã/phường"), "<span id=\"panel-commune\">" + esc(d.commune) + "</span>");
    html += row(_("Loại đất"), esc(d.land_use + " — " + _(d.land_use_name)));
    html += row(_("Diện tích pháp lý"), format(d.legal_area_m2) + " m²");
    html += row(_("Diện tích thu hồi"), format(d.recovered_area_m2) + " m²" +
                (d.is_whole_parcel ? " (" + esc(_("toàn bộ thửa")) + ")" : ""));
    html += row(_("Người sử dụng đất"), d.holders.map(function (h) {
      return esc(h.name) + (h.share_pct < 100 ? " (" + formatShare(h.share_pct) + "%)" : "");
    }).join("<br>") || "—");
    var currency = esc(_("đ"));
    html += row(_("Phê duyệt"), "<span id=\"panel-approved\">" + format(d.approved_vnd) + "</span> " + currency);
    html += row(_("Đã chi trả"), "<span id=\"panel-paid\">" + format(d.paid_vnd) + "</span> " + currency);
    if (d.handover_date) { html += row(_("Ngày bàn giao"), formatDate(d.handover_date)); }
    if (d.complaint_open) { html += row(_("Khiếu nại"), esc(_("Đang giải quyết"))); }
    html += "</table>";
    html += "<h3>" + esc(_("Thời hạn tiếp theo")) + "</h3><p id=\"panel-deadline\">";
    if (d.deadline) {
      var days = d.deadline.days_left;
      html += esc(_(d.deadline.label)) + ": <strong>" + formatDate(d.deadline.due_date) + "</strong> " +
        (d.deadline.overdue ? "<span class=\"overdue\">" + esc(_("quá hạn {days} ngày", { days: -days })) + "</span>"
                            : esc(_("(còn {days} ngày)", { days: days })));
    } else {
      html += esc(_("Không có thời hạn đang chờ."));
    }
    html += "</p>";
    html += "<p id=\"panel-owner\">" + esc(_("Phụ trách:")) + " " +
      (d.responsible_officer || d.responsible_unit
        ? esc([d.responsible_officer, d.responsible_unit].filter(Boolean).join(" — "))
        : "<span class=\"muted\">" + esc(_("Chưa giao")) + "</span>") + "</p>";
    html += "<h3>" + esc(_("Lịch sử hồ sơ ({n})", { n: d.history.length })) +
            "</h3><ol id=\"panel-history\" class=\"history\">";
    d.history.forEach(function (e) {
      var doc = !e.decision_no ? "" : " — " + (e.decision_date
        ? esc(_("{number} ngày {date}", { number: e.decision_no, date: formatDate(e.decision_date) }))
        : esc(e.decision_no));
      html += "<li><time>" + formatDate(e.date) + "</time> " + esc(_(e.what)) + doc +
              (e.note ? "<br><span class=\"muted\">" + esc(e.note) + "</span>" : "") + "</li>";
    });
    html += "</ol><h3>" + esc(_("Chi trả ({n})", { n: d.payments.length })) +
            "</h3><table id=\"panel-payments\" class=\"payments\">";
    d.payments.forEach(function (p) {
      html += "<tr><td>" + formatDate(p.date) + "</td><td class=\"n\">" + format(p.amount_vnd) +
              " " + currency + "</td><td>" + esc(_(p.method)) + "</td><td>" + esc(p.voucher_no || "") + "</td></tr>";
    });
    html += "</table>";
    if (d.case_id) {
      html += "<p class=\"panel-actions\"><a id=\"panel-case-link\" class=\"button\" href=\"/cases/" +
              encodeURIComponent(d.case_id) + "\">" + esc(_("Mở hồ sơ GPMB")) + "</a> " +
              "<a id=\"panel-dossier-link\" class=\"button\" href=\"/cases/" +
              encodeURIComponent(d.case_id) + "/dossier\">" + esc(_("Hồ sơ thửa đất (bản in)")) +
              "</a></p>";
    }
    $("panel-body").innerHTML = html;
    var panel = $("parcel-panel");
    panel.dataset.parcelId = d.parcel_id;
    panel.hidden = false;
  }

  function select(parcelId) {
    var previous = state.selected;
    state.selected = parcelId;
    if (previous && state.props[previous]) {
      state.grid.setFeatureStyle(previous, parcelStyle(state.props[previous]));
    }
    if (state.props[parcelId]) { state.grid.setFeatureStyle(parcelId, parcelStyle(state.props[parcelId])); }
    writeHash();
    var panel = $("parcel-panel");
    panel.dataset.loading = "1";
    return fetch(state.config.parcelUrl + parcelId, { headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) { return r.json().then(function (e) { throw new Error(e.detail || r.status); }); }
        return r.json();
      })
      .then(renderPanel)
      .catch(function (err) {
        // The API's messages are Vietnamese (its machine code is for programs): in English
        // the panel says what failed in English and keeps the message for the record.
        var text = english() ? _("Không tải được thông tin thửa đất.") + " (" + err.message + ")"
                             : err.message;
        $("panel-body").innerHTML = "<p class=\"error\">" + esc(text) + "</p>";
        panel.hidden = false;
      })
      .finally(function () { delete panel.dataset.loading; });
  }

  function closePanel() {
    var previous = state.selected;
    state.selected = null;
    if (previous && state.props[previous]) {
      state.grid.setFeatureStyle(previous, parcelStyle(state.props[previous]));
    }
    $("parcel-panel").hidden = true;
    if (state.outline) { state.map.removeLayer(state.outline); state.outline = null; }
    writeHash();
  }

  /* ---- search ---- */
  function hitButton(hit, html) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "search-hit";
    button.dataset.parcelId = hit.parcel_id;
    button.innerHTML = html;
    return button;
  }

  function search(q) {
    var list = $("search-results");
    list.innerHTML = "<li class=\"muted\">" + esc(_("Đang tìm…")) + "</li>";
    return fetch(state.config.searchUrl + "?q=" + encodeURIComponent(q))
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var outside = data.outside || [];
        list.innerHTML = "";
        if (!data.results.length && !outside.length) {
          list.innerHTML = "<li class=\"muted\">" + esc(_("Không tìm thấy thửa nào.")) + "</li>";
          return;
        }
        data.results.forEach(function (hit) {
          var li = document.createElement("li");
          var button = hitButton(hit, "<strong>" + sheetParcel(hit.sheet, hit.parcel) + "</strong> " +
            esc(hit.commune) + "<br><span class=\"muted\">" + esc(hit.holders) + " — " +
            esc(_(hit.step_label)) + "</span>");
          button.addEventListener("click", function () { flyTo(hit); });
          li.appendChild(button);
          list.appendChild(li);
        });
        if (!data.results.length) {
          var pending = outside.every(function (h) { return h.in_footprint; });
          list.innerHTML = "<li class=\"notice\" id=\"search-outside\">" +
            esc(pending ? _("Chưa có hồ sơ GPMB của dự án cho thửa này")
                : outside.length === 1 ? _("Thửa này nằm ngoài phạm vi dự án")
                : _("Các thửa này nằm ngoài phạm vi dự án")) + "</li>";
        }
        outside.forEach(function (hit) {
          var li = document.createElement("li");
          var button = hitButton(hit, "<strong>" + sheetParcel(hit.sheet, hit.parcel) + "</strong> " +
            esc(hit.commune) + "<span class=\"outside-flag\">" +
            esc(hit.in_footprint ? _("Chưa có hồ sơ GPMB") : _("Ngoài phạm vi dự án")) +
            " — " + esc(_("Hiện trên bản đồ")) + "</span>");
          button.classList.add("outside");
          button.addEventListener("click", function () { showOutside(hit); });
          li.appendChild(button);
          list.appendChild(li);
        });
        if (data.results.length === 1) { flyTo(data.results[0]); }
        else if (!data.results.length && outside.length === 1) { showOutside(outside[0]); }
      });
  }

  /* A parcel outside the project's footprint is in no tile of this map: draw its outline
   * from the search answer, move to it and say in the panel why it is not coloured. */
  function showOutside(hit) {
    if (state.outline) { state.map.removeLayer(state.outline); }
    state.outline = L.geoJSON(hit.geometry, {
      interactive: false,
      style: { color: "#7c3aed", weight: 3, dashArray: "6 4", fillColor: "#7c3aed", fillOpacity: 0.15 }
    }).addTo(state.map);
    state.map.flyToBounds(hit.bounds, { maxZoom: 18, padding: [40, 40], duration: 0.6 });
    var html = "<h2 id=\"panel-title\">" + sheetParcel(hit.sheet, hit.parcel) + "</h2>";
    if (hit.in_footprint) {
      html += "<p class=\"notice\" id=\"panel-outside\" data-in-footprint=\"1\">" +
              esc(_("Thửa này chưa có hồ sơ GPMB của dự án")) + "</p>";
      html += "<p>" + esc(_("Phạm vi thu hồi của dự án đi qua thửa này, nhưng thửa được nạp sau lần chồng xếp gần nhất: chạy lại chồng xếp (gpmb import overlay {code}) để tạo hồ sơ. Đường viền tím là vị trí của thửa.",
                            { code: state.config.project })) + "</p>";
    } else {
      html += "<p class=\"notice\" id=\"panel-outside\">" + esc(_("Thửa này nằm ngoài phạm vi dự án")) + "</p>";
      html += "<p>" + esc(_("Phạm vi thu hồi (chỉ giới) của dự án không đi qua thửa này, nên dự án không có hồ sơ GPMB cho thửa và bản đồ không tô màu thửa. Đường viền tím là vị trí của thửa.")) + "</p>";
    }
    html += "<table class=\"kv\">";
    html += row(_("Xã/phường"), esc(hit.commune));
    html += row(_("Loại đất"), esc(hit.land_use));
    html += row(_("Người sử dụng đất"), esc(hit.holders) || "—");
    html += row(_("Thuộc dự án khác"), esc(hit.projects) || esc(_("Không có")));
    html += "</table>";
    $("panel-body").innerHTML = html;
    var panel = $("parcel-panel");
    panel.dataset.parcelId = hit.parcel_id;
    panel.hidden = false;
  }

  function flyTo(hit) {
    state.map.once("moveend", function () { select(hit.parcel_id); });
    state.map.flyToBounds(hit.bounds, { maxZoom: 18, padding: [40, 40], duration: 0.6 });
  }

  /* ---- wiring ---- */
  function bindControls() {
    document.querySelectorAll(".step-filter").forEach(function (box) {
      box.addEventListener("change", function () {
        var on = Array.from(document.querySelectorAll(".step-filter"))
          .filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
        state.steps = on.length === Object.keys(state.config.steps).length ? null : new Set(on);
        filtersChanged();
      });
    });
    $("filter-commune").addEventListener("change", function (e) { state.commune = e.target.value; filtersChanged(); });
    $("filter-landuse").addEventListener("change", function (e) { state.landUse = e.target.value; filtersChanged(); });
    $("filter-overdue").addEventListener("change", function (e) { state.overdue = e.target.checked; filtersChanged(); });
    $("filter-reset").addEventListener("click", function () {
      state.steps = null; state.commune = ""; state.landUse = ""; state.overdue = false;
      document.querySelectorAll(".step-filter").forEach(function (b) { b.checked = true; });
      $("filter-commune").value = ""; $("filter-landuse").value = ""; $("filter-overdue").checked = false;
      filtersChanged();
    });
    $("search-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var q = $("search-q").value.trim();
      if (q) { search(q); }
    });
    $("panel-close").addEventListener("click", closePanel);
    $("print-map").addEventListener("click", function () { window.print(); });
    $("share-link").addEventListener("click", function () {
      writeHash();
      var input = $("share-url");
      input.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(location.href).catch(function () {});
      }
    });
  }

  /* Leaflet's own controls speak English: give them the page's language. */
  function labelControls(map) {
    var container = map.getContainer();
    [[".leaflet-control-zoom-in", _("Phóng to")], [".leaflet-control-zoom-out", _("Thu nhỏ")],
     [".leaflet-control-layers-toggle", _("Lớp bản đồ")]].forEach(function (pair) {
      var el = container.querySelector(pair[0]);
      if (el) { el.title = pair[1]; el.setAttribute("aria-label", pair[1]); }
    });
  }

  window.GPMB = {
    style: function (p) {
      state.props[p.parcel_id] = p;
      return state.config ? parcelStyle(p) : HIDDEN;
    },
    communeStyle: function (p) {
      var share = p.cases ? p.handed_over / p.cases : 0;
      var colour = share >= 0.999 ? "#238b45" : share >= 0.5 ? "#e6d800" : "#d7301f";
      return { radius: 6 + Math.min(18, Math.sqrt(p.cases)), fill: true, fillColor: colour,
               fillOpacity: 0.75, color: "#263238", weight: 1 };
    },
    attach: function (map, grid, config) {
      state.map = map; state.grid = grid; state.config = config;
      grid.on("click", function (e) {
        var p = e.layer && e.layer.properties;
        if (!p) { return; }
        if (p.parcel_id !== undefined) {
          select(p.parcel_id);
        } else if (p.commune) {
          map.setView(e.latlng, config.detailMinZoom);
        }
      });
      grid.on("load", function () { document.body.dataset.tilesLoaded = "1"; });
      labelControls(map);
      map.on("moveend", writeHash);
      bindControls();
      /* The map has no view yet, so no layer is on it (the page adds none before a view
       * is set): set the view (a shared link's or the project's bounds) with only the
       * parcel grid waiting, so its tiles are asked for first, then add the drawn layers
       * (boundaries, right-of-way, Km labels: ~100 ms of work) while the tiles load. */
      var later = [];
      map.eachLayer(function (layer) { if (layer !== grid) { later.push(layer); } });
      later.forEach(function (layer) { map.removeLayer(layer); });
      var shared = applyHash();
      later.forEach(function (layer) { map.addLayer(layer); });
      map.on("zoomend", thinKmLabels);
      thinKmLabels();
      // A shared link with filters: the server's figures, and its extent unless the
      // link also gives the view.
      if (filtered()) { restyleAll(); refreshSummary(!shared); }
      writeHash();
    },
    select: select,
    search: search,
    thinKmLabels: thinKmLabels,
    map: function () { return state.map; },
    /* How many parcel features the loaded tiles hold (for checks and tests). */
    stats: function () {
      var tiles = state.grid._vectorTiles || {}, features = 0, count = 0;
      Object.keys(tiles).forEach(function (k) {
        count += 1;
        features += Object.keys(tiles[k]._features || {}).length;
      });
      return { tiles: count, features: features, known: Object.keys(state.props).length };
    }
  };
})();
