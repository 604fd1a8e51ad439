/* Survivor pages: quick exit, and moving between pages without leaving a trail.
 *
 * Quick exit (the first link on every page, or the Esc key) replaces this page with an
 * ordinary one, so Back does not return here. Links and forms marked data-replace also
 * replace the page instead of adding one to the browser's history, so that after quick exit
 * no page of this site is left in it. Without JavaScript everything still works; the pages
 * then stay in history, which the note at the bottom of each page says. */
(function () {
  "use strict";
  var exitUrl = document.body.getAttribute("data-exit");

  function leave(event) {
    if (event) { event.preventDefault(); }
    document.body.innerHTML = "";
    window.location.replace(exitUrl);
  }

  var exit = document.getElementById("quick-exit");
  if (exit) { exit.addEventListener("click", leave); }
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { leave(event); }
  });

  function replaceWith(response) {
    var type = response.headers.get("Content-Type") || "";
    if (type.indexOf("application/json") === 0) {
      return response.json().then(function (body) { window.location.replace(body.location); });
    }
    return response.text().then(function (html) {
      document.open();
      document.write(html);
      document.close();
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-replace")) { return; }
    event.preventDefault();
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) {
      data.append(event.submitter.name, event.submitter.value);
    }
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Haven-Replace": "1" }
    }).then(replaceWith).catch(function () { form.submit(); });
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest ? event.target.closest("a[data-replace]") : null;
    if (link) {
      event.preventDefault();
      window.location.replace(link.href);
    }
  });
}());
