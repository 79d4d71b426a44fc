// Live preview of a shop's SMS text: rendered on sample data with its characters, encoding and segments.
(function () {
  "use strict";
  function setup() {
    var body = document.querySelector("textarea[data-sms-preview]");
    var summary = document.getElementById("sms-preview-summary");
    var text = document.getElementById("sms-preview-text");
    if (!body || !summary || !text) { return; }
    var form = body.form;
    var timer = null;
    var latest = 0;  // answers may arrive out of order: only the newest request's is shown
    function field(name) {
      var element = form.elements[name];
      return element ? element.value : "";
    }
    function refresh() {
      var sequence = ++latest;
      var data = new FormData();
      ["shop", "status", "language", "body", "csrfmiddlewaretoken"].forEach(function (name) {
        data.append(name, field(name));
      });
      fetch(summary.dataset.previewUrl, { method: "POST", body: data, credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (preview) {
          if (sequence !== latest) { return; }
          if (preview.error) {
            text.textContent = "";
            summary.textContent = preview.error;
          } else {
            text.textContent = preview.text;
            summary.textContent = preview.summary;
          }
        })
        .catch(function () { summary.textContent = "Preview unavailable."; });
    }
    function later() {
      clearTimeout(timer);
      timer = setTimeout(refresh, 300);
    }
    form.addEventListener("input", later);
    form.addEventListener("change", later);
    refresh();
  }
  document.addEventListener("DOMContentLoaded", setup);
})();
