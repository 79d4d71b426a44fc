// The vote: once the page is shown, the pre-filled score is posted (a mail scanner's GET records nothing);
// then each score, thumb or carrier rating is saved as it is given. Without this script the buttons post the form.
(function () {
  "use strict";
  var form = document.querySelector("form[data-feedback]");
  if (!form || !window.fetch) { return; }
  var status = document.getElementById("thanks");
  var review = document.getElementById("review");

  function checkedScore() {
    var checked = form.querySelector("input[name=score]:checked");
    return checked ? checked.value : null;
  }

  function post(name, value) {
    var body = new URLSearchParams();
    var score = checkedScore();
    if (score !== null) { body.append("score", score); }
    if (name !== "score") { body.append(name, value); }
    return fetch(form.action, {
      method: "POST",
      headers: { "Accept": "application/json" },
      body: body,
      credentials: "same-origin"
    }).then(function (answer) {
      if (!answer.ok) { throw new Error(String(answer.status)); }
      return answer.json();
    }).then(function (saved) {
      status.textContent = form.getAttribute("data-saved");
      if (review && review.querySelector("a")) { review.hidden = !saved.promoter; }
    }).catch(function () {
      status.textContent = form.getAttribute("data-failed");
    });
  }

  function recordWhenShown() {
    if (document.visibilityState === "visible") {
      document.removeEventListener("visibilitychange", recordWhenShown);
      post("score", checkedScore());
    }
  }

  if (form.getAttribute("data-record") === "1" && checkedScore() !== null) {
    document.addEventListener("visibilitychange", recordWhenShown);
    recordWhenShown();
  }

  form.addEventListener("change", function (event) {
    var field = event.target;
    if (field.name === "score" || field.name.indexOf("q_") === 0 || field.name.indexOf("carrier_") === 0) {
      post(field.name, field.value);
    }
  });
})();
