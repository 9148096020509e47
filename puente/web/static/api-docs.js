// Starts the vendored Swagger UI on /api/docs (a file, not an inline script, so the page
// keeps the node's Content-Security-Policy of script-src 'self').
window.addEventListener("DOMContentLoaded", function () {
  window.SwaggerUIBundle({
    url: document.body.dataset.openapi,
    dom_id: "#swagger-ui",
    deepLinking: true,
  });
});
