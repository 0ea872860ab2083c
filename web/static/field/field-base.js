/* GPMB field view: small helpers shared by the field scripts (window.GPMBF). */
(function () {
  "use strict";
  var CFG = window.GPMB_FIELD_CONFIG || {};

  function _(s, values) {
    var out = (window.GPMB_EN || {})[s] || s;
    if (values) {
      Object.keys(values).forEach(function (k) { out = out.split("{" + k + "}").join(values[k]); });
    }
    return out;
  }
  function $(id) { return document.getElementById(id); }
  function esc(text) {
    var div = document.createElement("div");
    div.textContent = text === null || text === undefined ? "" : String(text);
    return div.innerHTML;
  }
  function num(n, digits) {
    var s = Number(n).toFixed(digits || 0).split(".");
    s[0] = s[0].replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    return s.join(",");
  }
  function vnd(n) { return num(n) + " đ"; }
  function date(iso) {
    if (!iso) { return ""; }
    var d = iso.slice(0, 10).split("-");
    return d[2] + "/" + d[1] + "/" + d[0];
  }
  /* A moment in Vietnam time (UTC+7, no summer time), whatever the tablet's zone, as the
   * server writes it (gis.formats.fmt_time): 05/03/2025 14:30. */
  function stamp(iso) {
    var d = new Date(Date.parse(iso) + 7 * 3600 * 1000);
    function two(n) { return (n < 10 ? "0" : "") + n; }
    return two(d.getUTCDate()) + "/" + two(d.getUTCMonth() + 1) + "/" + d.getUTCFullYear() +
      " " + two(d.getUTCHours()) + ":" + two(d.getUTCMinutes());
  }
  function size(bytes) {
    if (bytes < 1024 * 1024) { return num(Math.max(bytes / 1024, 1), 0) + " KB"; }
    return num(bytes / 1024 / 1024, 1) + " MB";
  }
  function newKey() {
    if (window.crypto && crypto.randomUUID) { return "field-" + crypto.randomUUID(); }
    return "field-" + Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 12);
  }
  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)gpmb_csrf=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  function withProject(url) {
    if (!CFG.project) { return url; }
    return url + (url.indexOf("?") < 0 ? "?" : "&") + "project=" + encodeURIComponent(CFG.project);
  }

  window.GPMBF = { cfg: CFG, _: _, $: $, esc: esc, num: num, vnd: vnd, date: date,
                   stamp: stamp, size: size, newKey: newKey, csrfToken: csrfToken,
                   withProject: withProject };
})();
