// Progressive enhancement only: everything on the page works without this script.
(function () {
  "use strict";
  function copyCode(button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    var status = button.closest(".discount") && button.closest(".discount").querySelector(".copy-status");
    if (!target) { return; }
    var text = target.textContent.trim();
    function done() { if (status) { status.textContent = button.getAttribute("data-copied") + ": " + text; } }
    function selectText() {
      var range = document.createRange();
      range.selectNodeContents(target);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, selectText);
    } else {
      selectText();
    }
  }
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { copyCode(button); });
  });
})();
