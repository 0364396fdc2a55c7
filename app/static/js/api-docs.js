// Start Swagger UI on /api/docs (a file, not an inline script, so the strict CSP holds).
// "Try it out" from a signed-in browser sends the session's CSRF token on writes.
(function () {
  "use strict";
  var root = document.querySelector("[data-spec-url]");
  var csrf = document.querySelector("meta[name=csrf-token]").getAttribute("content");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-spec-url"),
    domNode: root,
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    requestInterceptor: function (request) {
      if (request.method && request.method.toUpperCase() !== "GET") {
        request.headers["X-CSRFToken"] = csrf;
      }
      return request;
    },
  });
})();
