/* GPMB field view: taking an area offline and finding parcels in it without signal
 * (window.GPMB_AREA).
 *
 * The team picks a commune, a chainage section of the project or its day's work list;
 * the size is shown first; the download then stores the parcel cards in IndexedDB and
 * the z13–z18 tiles in Cache Storage, each with the time it was downloaded, behind a
 * progress bar. Without signal, the parcel under a GPS point is found on the device
 * (point in polygon over the stored outlines). */
(function () {
  "use strict";
  var F = window.GPMBF, S = window.GPMB_STORE, _ = F._, $ = F.$, esc = F.esc;
  var CONCURRENCY = 6;
  var NEARBY_M = 150, NEARBY_LIMIT = 12;
  var current = { estimate: null, busy: false };

  function params() {
    var kind = document.querySelector('input[name="area-kind"]:checked').value;
    var q = { kind: kind };
    if (F.cfg.project) { q.project = F.cfg.project; }
    if (kind === "commune") { q.commune = $("area-commune").value; }
    if (kind === "section") { q.from_km = $("area-from").value.trim(); q.to_km = $("area-to").value.trim(); }
    if (kind === "worklist") { q.cases = $("area-cases").value.trim(); }
    return Object.keys(q).map(function (k) { return k + "=" + encodeURIComponent(q[k]); }).join("&");
  }

  function fetchJSON(url) {
    // Marked so that the service worker does not keep a second copy of the package.
    return fetch(url, { credentials: "same-origin",
                        headers: { "Accept": "application/json", "X-GPMB-Area-Download": "1" } })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (body) {
          if (!res.ok || res.headers.get("X-GPMB-Offline") === "1") {
            throw new Error(res.ok ? _("Mất sóng: cần có mạng để tải khu vực.") : (body.title || ("HTTP " + res.status)));
          }
          return body;
        });
      }, function () { throw new Error(_("Mất sóng: cần có mạng để tải khu vực.")); });
  }

  function say(text, ok) {
    $("area-msg").innerHTML = '<div class="msg ' + (ok ? "ok" : "err") + '" role="' + (ok ? "status" : "alert") + '">' + esc(text) + "</div>";
  }

  function estimate() {
    if (current.busy) { return; }
    say(_("Đang tính dung lượng…"), true);
    $("area-download").hidden = true;
    var query = params();
    fetchJSON("/field/api/areas/estimate?" + query).then(function (est) {
      current.estimate = { query: query, est: est };
      $("area-size").hidden = false;
      $("area-size").textContent = _("{label}: {parcels} thửa, {tiles} ô bản đồ, khoảng {size}.", {
        label: est.label, parcels: F.num(est.parcels), tiles: F.num(est.tiles), size: F.size(est.total_bytes) });
      $("area-msg").innerHTML = "";
      $("area-download").hidden = est.parcels === 0;
      if (!est.parcels) { say(_("Khu vực này không có thửa đất nào."), false); }
    }, function (err) { say(err.message, false); });
  }

  function progress(done, total, text) {
    var bar = $("area-progress");
    bar.hidden = false;
    bar.max = total;
    bar.value = done;
    $("area-progress-text").hidden = false;
    $("area-progress-text").textContent = text;
  }

  function tileUrl(template, t) {
    return template.replace("{z}", t[0]).replace("{x}", t[1]).replace("{y}", t[2]);
  }

  function saveTiles(pkg, at, onStep) {
    var queue = pkg.tiles.slice(), done = 0, failed = 0;
    return caches.open(S.TILE_CACHE).then(function (cache) {
      function next() {
        var t = queue.shift();
        if (!t) { return Promise.resolve(); }
        var url = tileUrl(pkg.tile_url, t);
        return fetch(url, { credentials: "same-origin", headers: { "X-GPMB-Area-Download": "1" } })
          .then(function (res) {
            if (!res.ok) { throw new Error("HTTP " + res.status); }
            return res.arrayBuffer().then(function (body) {
              var headers = new Headers(res.headers);
              headers.set("X-GPMB-Downloaded-At", at);
              return cache.put(url, new Response(body, { status: 200, headers: headers }));
            });
          })["catch"](function () { failed += 1; })
          .then(function () { done += 1; onStep(done, failed); return next(); });
      }
      var workers = [];
      for (var i = 0; i < CONCURRENCY; i += 1) { workers.push(next()); }
      return Promise.all(workers).then(function () { return failed; });
    });
  }

  function download() {
    if (current.busy || !current.estimate) { return; }
    current.busy = true;
    $("area-download").disabled = true;
    var est = current.estimate.est;
    var total = est.tiles + 2;
    progress(0, total, _("Đang tải thông tin thửa đất…"));
    fetchJSON("/field/api/areas/package?" + current.estimate.query).then(function (pkg) {
      var at = pkg.area.downloaded_at;
      progress(1, total, _("Đang lưu {n} thửa đất vào máy…", { n: F.num(pkg.cards.length) }));
      var rows = pkg.cards.map(function (card) {
        return { parcel_id: card.parcel_id, areaId: pkg.area.id, downloadedAt: at, card: card };
      });
      return S.putMany("parcels", rows).then(function () {
        progress(2, total, _("Đang tải bản đồ: {done}/{total} ô", { done: 0, total: pkg.tiles.length }));
        return saveTiles(pkg, at, function (done) {
          progress(2 + done, total, _("Đang tải bản đồ: {done}/{total} ô", { done: done, total: pkg.tiles.length }));
        });
      }).then(function (failed) {
        var area = { id: pkg.area.id, label: pkg.area.label, params: pkg.area.params,
                     parcels: pkg.cards.length, tiles: pkg.tiles.length - failed,
                     bytes: est.total_bytes, downloadedAt: at };
        return S.put("areas", area).then(function () { return failed; });
      }).then(function (failed) {
        if (failed) {
          say(_("Đã tải xong nhưng {n} ô bản đồ không tải được; hãy tải lại khi sóng tốt hơn.", { n: failed }), false);
        } else {
          say(_("Đã tải khu vực về máy; dùng được cả khi mất sóng."), true);
        }
        return renderAreas();
      });
    })["catch"](function (err) { say(err.message, false); })
      .then(function () { current.busy = false; $("area-download").disabled = false; });
  }

  function renderAreas() {
    return S.all("areas").then(function (areas) {
      var list = $("area-list");
      list.innerHTML = areas.map(function (a) {
        return '<li data-area="' + esc(a.id) + '"><strong>' + esc(a.label) + "</strong> — " +
          esc(_("{parcels} thửa, {tiles} ô bản đồ", { parcels: F.num(a.parcels), tiles: F.num(a.tiles) })) +
          '<br><small class="downloaded-at">' + esc(_("tải lúc {time}", { time: F.stamp(a.downloadedAt) })) + "</small></li>";
      }).join("");
      $("area-none").hidden = areas.length > 0;
      return areas;
    });
  }

  /* ---- finding parcels on the device ---- */
  function inRing(lon, lat, ring) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > lat) !== (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi) { inside = !inside; }
    }
    return inside;
  }
  function inPolygon(lon, lat, rings) {
    if (!inRing(lon, lat, rings[0])) { return false; }
    for (var h = 1; h < rings.length; h += 1) { if (inRing(lon, lat, rings[h])) { return false; } }
    return true;
  }
  function contains(outline, lon, lat) {
    var polys = outline.type === "Polygon" ? [outline.coordinates] : outline.coordinates;
    return polys.some(function (rings) { return inPolygon(lon, lat, rings); });
  }
  function metres(lat1, lon1, lat2, lon2) {
    var k = Math.PI / 180, x = (lon2 - lon1) * k * Math.cos((lat1 + lat2) / 2 * k), y = (lat2 - lat1) * k;
    return Math.sqrt(x * x + y * y) * 6371008;
  }

  // The parcel under the point (preferring one with a case) and the parcels with a case
  // nearby, as /field/api/locate answers, from the stored cards.
  function locate(lat, lon) {
    return S.all("parcels").then(function (rows) {
      if (!rows.length) { return null; }
      var here = null, near = [];
      rows.forEach(function (row) {
        var c = row.card, b = c.bbox;
        var inside = lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3] && contains(c.outline, lon, lat);
        if (inside && (!here || (!here.card.case && c.case))) { here = row; }
        if (!c.case) { return; }
        var d = inside ? 0 : metres(lat, lon, c.lat, c.lon);
        if (d <= NEARBY_M) {
          near.push({ parcel_id: c.parcel_id, case_id: c.case.id, commune: c.commune, sheet: c.sheet,
                      parcel: c.parcel, step: c.step, step_label: c.step_label, distance_m: d,
                      holders: c.holders.map(function (h) { return h.name; }).join(", ") });
        }
      });
      near.sort(function (a, b) { return a.distance_m - b.distance_m || a.parcel_id - b.parcel_id; });
      return { card: here ? here.card : null, downloadedAt: here ? here.downloadedAt : null,
               nearby: near.slice(0, NEARBY_LIMIT) };
    });
  }

  // Parcels by commune + sheet + parcel number, as /field/api/lookup answers.
  function lookup(commune, sheet, parcel) {
    return S.all("parcels").then(function (rows) {
      return rows.map(function (r) { return r.card; }).filter(function (c) {
        return c.commune_code === commune && c.sheet === sheet && c.parcel === parcel;
      }).map(function (c) {
        return { parcel_id: c.parcel_id, case_id: c.case ? c.case.id : null, commune: c.commune,
                 commune_code: c.commune_code, sheet: c.sheet, parcel: c.parcel, step: c.step,
                 step_label: c.step_label, lat: c.lat, lon: c.lon,
                 holders: c.holders.map(function (h) { return h.name; }).join(", ") };
      });
    });
  }

  function card(parcelId) {
    return S.get("parcels", parcelId).then(function (row) { return row || null; });
  }

  function toggle() {
    var box = $("areas");
    box.hidden = !box.hidden;
    if (!box.hidden) { renderAreas(); }
  }

  function kindChanged() {
    var kind = document.querySelector('input[name="area-kind"]:checked').value;
    ["commune", "section", "worklist"].forEach(function (k) { $("area-" + k + "-fields").hidden = k !== kind; });
    $("area-size").hidden = true;
    $("area-download").hidden = true;
    current.estimate = null;
  }

  function start() {
    $("open-areas").addEventListener("click", toggle);
    $("area-estimate").addEventListener("click", estimate);
    $("area-download").addEventListener("click", download);
    Array.prototype.forEach.call(document.querySelectorAll('input[name="area-kind"]'), function (r) {
      r.addEventListener("change", kindChanged);
    });
    kindChanged();
    renderAreas();
  }

  window.GPMB_AREA = { start: start, locate: locate, lookup: lookup, card: card, areas: function () { return S.all("areas"); } };
})();
