/* Parcelfront tracking widget for a shop's own site (CORS allows only the shop's domains).
 *
 *   <div id="parcelfront-tracking"></div>
 *   <script src="https://TRACKING-HOST/static/tracking_portal/widget.js" data-token="ORDER-TOKEN"
 *           data-lang="pl" async></script>
 *
 * Renders plain, class-named markup (pf-widget__*) with textContent only, so the shop styles it and
 * nothing from the response is ever parsed as HTML. Optional data-target names another element id.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script) { return; }
  var token = script.getAttribute("data-token") || "";
  if (!/^[A-Za-z0-9_-]{16,86}$/.test(token)) { return; }
  var target = document.getElementById(script.getAttribute("data-target") || "parcelfront-tracking");
  if (!target) { return; }
  var lang = script.getAttribute("data-lang") || document.documentElement.lang || "";
  var url = new URL("/t/" + token + ".json", script.src);
  if (lang) { url.searchParams.set("lang", lang.slice(0, 2)); }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  fetch(url.toString(), { credentials: "omit", referrerPolicy: "no-referrer" })
    .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); })
    .then(function (order) {
      var root = el("section", "pf-widget");
      root.setAttribute("aria-label", order.title);
      root.appendChild(el("h2", "pf-widget__title", order.title));
      order.shipments.forEach(function (parcel) {
        var card = el("div", "pf-widget__parcel" + (parcel.attention ? " pf-widget__parcel--attention" : ""));
        if (order.shipments.length > 1 || parcel.direction === "return") {
          card.appendChild(el("p", "pf-widget__heading", parcel.heading));
        }
        card.appendChild(el("p", "pf-widget__status", parcel.status_label));
        card.appendChild(el("p", "pf-widget__explanation", parcel.explanation));
        if (parcel.eta) {
          var eta = (parcel.eta.badge ? parcel.eta.badge + ": " : "") + parcel.eta.text;
          card.appendChild(el("p", "pf-widget__eta pf-widget__eta--" + parcel.eta.kind, eta));
        }
        if (parcel.latest_event && parcel.latest_event.text) {
          var latest = parcel.latest_event;
          card.appendChild(el("p", "pf-widget__event", latest.when + " · " + latest.text + (latest.location ? " · " + latest.location : "")));
        }
        root.appendChild(card);
      });
      var link = el("a", "pf-widget__link", order.title);
      link.href = order.page_url;
      link.rel = "noopener";
      root.appendChild(link);
      target.replaceChildren(root);
    })
    .catch(function () { /* The shop's page stays as it was; the widget is an extra. */ });
})();
