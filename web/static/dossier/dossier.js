/* The dossier page's print button (a script file: the pages' CSP allows no inline handlers). */
(function () {
  var button = document.getElementById("dossier-print");
  if (button) { button.addEventListener("click", function () { window.print(); }); }
})();
