/* Case pages: small progressive enhancements; every form works without this script.
 * - mark the document fields as required for the chosen step / event kind,
 * - show the enforcement start time only for an enforcement,
 * - group thousands in the amount as it is typed (the server accepts both forms),
 * - ask before a reversal, never send a form twice, focus the first refused field. */
(function () {
  "use strict";
  var EN = window.GPMB_EN || {};
  function t(s) { return EN[s] || s; }

  function syncDocument(form, select) {
    var opt = select.options[select.selectedIndex];
    form.dataset.doc = opt && opt.dataset.needsDoc === "1" ? "1" : "0";
    var at = form.querySelector("[data-field=at]");
    if (at) { at.hidden = select.value !== "enforcement_executed"; }
  }

  ["step-form", "side-form"].forEach(function (id) {
    var form = document.getElementById(id);
    if (!form) { return; }
    var select = form.querySelector("select[name=to_step], select[name=kind]");
    if (!select) { return; }
    select.addEventListener("change", function () { syncDocument(form, select); });
    syncDocument(form, select);
  });

  document.querySelectorAll("input[data-vnd]").forEach(function (input) {
    input.addEventListener("input", function () {
      var digits = input.value.replace(/[.\s]/g, "");
      if (/^\d+$/.test(digits)) {
        input.value = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ".");
      }
    });
  });

  document.querySelectorAll("form.case-form").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      var ask = form.querySelector("button[data-confirm]");
      if (ask && !window.confirm(t(ask.dataset.confirm))) { e.preventDefault(); return; }
      if (form.dataset.sent) { e.preventDefault(); return; }
      form.dataset.sent = "1";
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; }
    });
  });

  var bad = document.querySelector(".has-error input, .has-error select, .has-error textarea");
  var message = document.querySelector(".form-message");
  var target = bad || message;
  if (target) {
    var holder = target.closest("details");
    if (holder) { holder.open = true; }
    target.scrollIntoView({ block: "center" });
    if (bad) { bad.focus({ preventScroll: true }); }
  }
})();
