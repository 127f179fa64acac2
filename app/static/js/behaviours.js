// Small page behaviours wired by data attributes, so no template needs an inline event handler
// (the Content-Security-Policy allows no inline script without the request's nonce; see app/security.py).
(function () {
  "use strict";

  document.addEventListener("change", function (event) {
    var el = event.target.closest("[data-submit-on-change]");
    if (el && el.form) el.form.submit();
  });

  document.addEventListener("click", function (event) {
    var select = event.target.closest("[data-select-on-click]");
    if (select) select.select();

    var menu = event.target.closest("[data-menu-toggle]");
    if (menu && typeof window.toggleMenu === "function") window.toggleMenu(menu);

    var toggle = event.target.closest("[data-toggle-class]");
    if (toggle) {
      var target = toggle.closest(toggle.getAttribute("data-toggle-target") || "body");
      if (target) target.classList.toggle(toggle.getAttribute("data-toggle-class"));
    }

    var locate = event.target.closest("[data-geolocate]");
    if (locate && locate.form && navigator.geolocation) {
      var form = locate.form;
      navigator.geolocation.getCurrentPosition(function (position) {
        form.elements.latitude.value = position.coords.latitude.toFixed(6);
        form.elements.longitude.value = position.coords.longitude.toFixed(6);
      });
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  });
})();
