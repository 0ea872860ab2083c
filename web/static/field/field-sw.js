/* GPMB field view service worker (served as /field/sw.js, scope /field).
 *
 * Keeps the page working without signal for what was already loaded: the page shell and
 * its assets (cache first), and the parcel tiles and JSON cards seen so far (network
 * first, the cached copy when there is no signal, which may come from an area taken
 * offline: the page stores those tiles in "gpmb-field-area" itself, so its downloads pass
 * through here untouched). Writes are never cached or replayed here: the page queues
 * every field action itself. */
"use strict";

var CACHE = "gpmb-field-v1";
var SHELL = [
  "/field",
  "/static/field/field-base.js",
  "/static/field/field-store.js",
  "/static/field/field-area.js",
  "/static/field/field-sync.js",
  "/static/field/field.js",
  "/static/field/field.css",
  "/static/vendor/leaflet/leaflet.js",
  "/static/vendor/leaflet/leaflet.css",
  "/static/vendor/vectorgrid/Leaflet.VectorGrid.bundled.min.js",
  "/static/map/vectorgrid-fix.js",
  "/static/favicon.svg"
];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(SHELL);
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) {
      return k.indexOf("gpmb-field-") === 0 && k !== CACHE;
    }).map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

var MAX_ENTRIES = 3000;  // tiles and cards: a few MB; the oldest go first
var puts = 0;
var wiped = false;  // the user signed out: keep nothing more until the next start

self.addEventListener("message", function (event) {
  if (event.data === "gpmb-wipe") { wiped = true; }
});

function remember(request, response) {
  if (wiped) { return Promise.resolve(null); }
  return caches.open(CACHE).then(function (cache) {
    return cache.put(request, response).then(function () {
      puts += 1;
      if (puts % 100 !== 0) { return null; }
      return cache.keys().then(function (keys) {
        var extra = keys.length - MAX_ENTRIES;
        var doomed = keys.filter(function (k) {
          return SHELL.indexOf(new URL(k.url).pathname) < 0;
        }).slice(0, Math.max(extra, 0));
        return Promise.all(doomed.map(function (k) { return cache.delete(k); }));
      });
    });
  }).catch(function () { return null; });
}

// A tile never seen, without signal: an empty tile (no parcels drawn) rather than an
// error that VectorGrid would leave unhandled.
function emptyTile() {
  return new Response(new ArrayBuffer(0), { status: 200, headers: {
    "Content-Type": "application/vnd.mapbox-vector-tile", "X-GPMB-Offline": "1" } });
}

function networkFirst(request, fallbackUrl, fallback) {
  return fetch(request).then(function (response) {
    if (response.ok) { remember(request, response.clone()); }
    return response;
  }, function () {
    return caches.match(request, { ignoreVary: true }).then(function (hit) {
      if (hit) { return offlineCopy(hit); }
      if (fallbackUrl) { return caches.match(fallbackUrl, { ignoreVary: true }); }
      return fallback ? fallback() : Response.error();
    }).then(function (hit) { return hit || Response.error(); });
  });
}

// A cached answer, marked so that the page can say it is showing saved data.
function offlineCopy(hit) {
  var headers = new Headers(hit.headers);
  headers.set("X-GPMB-Offline", "1");
  return hit.blob().then(function (body) {
    return new Response(body, { status: hit.status, statusText: hit.statusText, headers: headers });
  });
}

// Assets: the saved copy at once, refreshed in the background for the next load (so a
// new release reaches the tablet without a new cache name).
function staleWhileRevalidate(event) {
  var request = event.request;
  var fresh = fetch(request).then(function (response) {
    if (response.ok) { return remember(request, response.clone()).then(function () { return response; }); }
    return response;
  });
  return caches.match(request, { ignoreVary: true }).then(function (hit) {
    if (hit) {
      event.waitUntil(fresh.catch(function () { return null; }));
      return hit;
    }
    return fresh;
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && url.pathname === "/field") {
    event.respondWith(networkFirst(request, "/field"));
  } else if (request.headers.get("X-GPMB-Area-Download") === "1") {
    return;  // the page's own download into the area cache
  } else if (url.pathname.indexOf("/tiles/") === 0) {
    event.respondWith(networkFirst(request, null, emptyTile));
  } else if (url.pathname.indexOf("/field/api/") === 0) {
    event.respondWith(networkFirst(request, null));
  } else if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(staleWhileRevalidate(event));
  }
});
