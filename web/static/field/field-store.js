/* GPMB field view: what the tablet keeps (window.GPMB_STORE).
 *
 * IndexedDB "gpmb-field": areas taken offline (with their "downloaded at" stamp), the
 * parcel cards of those areas, the queue of field actions not yet acknowledged by the
 * server (photos as Blobs), and the server's answers that need a person (conflicts,
 * refusals). Cache Storage "gpmb-field-area": the areas' vector tiles, each with an
 * X-GPMB-Downloaded-At header. wipe() removes all of it (signing out of a shared tablet). */
(function () {
  "use strict";
  var DB = "gpmb-field";
  var STORES = { areas: "id", parcels: "parcel_id", queue: "key", answers: "key" };
  var TILE_CACHE = "gpmb-field-area";
  var opened = null;
  var gone = false;  // wiped: this page keeps nothing more

  function open() {
    if (gone) { return Promise.reject(new Error("wiped")); }
    if (opened) { return opened; }
    opened = new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () {
        Object.keys(STORES).forEach(function (name) {
          if (!req.result.objectStoreNames.contains(name)) {
            req.result.createObjectStore(name, { keyPath: STORES[name] });
          }
        });
      };
      req.onsuccess = function () {
        req.result.onversionchange = function () { req.result.close(); opened = null; };
        resolve(req.result);
      };
      req.onerror = function () { opened = null; reject(req.error); };
    });
    return opened;
  }

  function run(names, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(names, mode);
        var out = work(tx);
        tx.oncomplete = function () { resolve(out instanceof IDBRequest ? out.result : undefined); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }

  function all(name) {
    return run([name], "readonly", function (tx) { return tx.objectStore(name).getAll(); });
  }
  function get(name, key) {
    return run([name], "readonly", function (tx) { return tx.objectStore(name).get(key); });
  }
  function put(name, value) {
    return run([name], "readwrite", function (tx) { tx.objectStore(name).put(value); });
  }
  function putMany(name, values) {
    return run([name], "readwrite", function (tx) {
      var store = tx.objectStore(name);
      values.forEach(function (v) { store.put(v); });
    });
  }
  function remove(name, key) {
    return run([name], "readwrite", function (tx) { tx.objectStore(name)["delete"](key); });
  }
  // One transaction: the answer is stored and the action leaves the queue, or neither.
  function answer(key, value) {
    return run(["queue", "answers"], "readwrite", function (tx) {
      if (value) { tx.objectStore("answers").put(value); }
      tx.objectStore("queue")["delete"](key);
    });
  }

  // The service worker stops caching and is unregistered first, so that nothing it was
  // still fetching lands in a cache after the caches are gone.
  function stopWorker() {
    if (!("serviceWorker" in navigator)) { return Promise.resolve(); }
    if (navigator.serviceWorker.controller) { navigator.serviceWorker.controller.postMessage("gpmb-wipe"); }
    return navigator.serviceWorker.getRegistrations().then(function (regs) {
      return Promise.all(regs.map(function (r) { return r.unregister(); }));
    })["catch"](function () { return null; });
  }

  function forgetLocal() {
    Object.keys(localStorage).filter(function (k) { return k.indexOf("gpmb-field") === 0; })
      .forEach(function (k) { localStorage.removeItem(k); });
  }

  function wipe() {
    gone = true;
    var closing = opened ? opened.then(function (db) { db.close(); }, function () { return null; })
      : Promise.resolve();
    opened = null;
    return Promise.all([closing, stopWorker()]).then(function () {
      return new Promise(function (resolve) {
        var req = indexedDB.deleteDatabase(DB);
        req.onsuccess = req.onerror = req.onblocked = function () { resolve(); };
      });
    }).then(function () {
      if (!window.caches) { return null; }
      return caches.keys().then(function (keys) {
        return Promise.all(keys.filter(function (k) { return k.indexOf("gpmb-field") === 0; })
          .map(function (k) { return caches["delete"](k); }));
      });
    }).then(forgetLocal);
  }

  window.GPMB_STORE = { open: open, all: all, get: get, put: put, putMany: putMany,
                        remove: remove, answer: answer, wipe: wipe, forgetLocal: forgetLocal, TILE_CACHE: TILE_CACHE };
})();
