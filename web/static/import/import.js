/* Import page: refuse a file over the size limit before sending it, and show that the
   server is busy checking (a large file can take a while). The forms work without it. */
(function () {
  "use strict";
  function _(s) { return (window.GPMB_EN || {})[s] || s; }

  function busy(form) {
    form.setAttribute("aria-busy", "true");
    form.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    var note = form.querySelector(".imp-busy-note");
    if (note) { note.hidden = false; }
  }

  var upload = document.querySelector("form.imp-upload");
  if (upload) {
    var input = upload.querySelector("input[type=file]");
    var maxMb = Number(upload.getAttribute("data-max-mb")) || 0;
    var warning = document.createElement("p");
    warning.className = "imp-alert imp-alert-error";
    warning.setAttribute("role", "alert");
    warning.hidden = true;
    upload.insertBefore(warning, upload.firstChild);
    upload.addEventListener("submit", function (ev) {
      var file = input && input.files && input.files[0];
      if (file && maxMb && file.size > maxMb * 1024 * 1024) {
        ev.preventDefault();
        warning.textContent = _("Tệp quá lớn: tối đa {n} MB.").replace("{n}", String(maxMb));
        warning.hidden = false;
        return;
      }
      busy(upload);
    });
  }
  document.querySelectorAll("form.imp-options, form.imp-confirm").forEach(function (form) {
    form.addEventListener("submit", function () { busy(form); });
  });
}());
