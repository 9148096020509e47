// Draws the indicator charts interactively with the vendored vega-embed (a file, not an
// inline script, so pages keep the Content-Security-Policy of script-src 'self').
//
// Markup (written by puente.indicators.charts.embed_html):
//   <figure class="chart" data-vega-spec="ID-spec">…server-rendered SVG…</figure>
//   <script type="application/json" id="ID-spec">{…Vega-Lite spec…}</script>
// The JSON block is data, never executed, so the CSP does not apply to it. The SVG stays
// as the content for readers without JavaScript and whenever drawing fails; the PDF uses
// the same SVG.
//
// Needs vendor/vega/vega.min.js, vega-lite.min.js and vega-embed.min.js loaded first.
(function () {
  "use strict";

  var PENDING = "[data-vega-spec]:not([data-vega-drawn])";

  function draw(root) {
    if (!window.vegaEmbed || !window.vega || !root.querySelectorAll) {
      return;
    }
    var figures = Array.prototype.slice.call(root.querySelectorAll(PENDING));
    if (root.matches && root.matches(PENDING)) {
      figures.push(root); // htmx:load names the swapped element itself
    }
    figures.forEach(function (figure) {
      var source = document.getElementById(figure.getAttribute("data-vega-spec"));
      var spec;
      try {
        spec = JSON.parse(source.textContent);
      } catch (error) {
        return; // no spec or not JSON: the SVG stays
      }
      // Marked before drawing so that a second htmx:load on the same content does not
      // draw the chart twice.
      figure.setAttribute("data-vega-drawn", "");
      var view = document.createElement("div");
      view.className = "chart-view";
      view.hidden = true;
      figure.appendChild(view);
      window
        .vegaEmbed(view, spec, {
          actions: false,
          renderer: "svg",
          // Expressions as syntax trees, run by the interpreter vega-embed bundles, never
          // compiled with new Function(), which script-src 'self' (no 'unsafe-eval')
          // forbids. This is Vega's documented way to run under a strict CSP.
          ast: true,
        })
        .then(function () {
          Array.prototype.slice.call(figure.childNodes).forEach(function (node) {
            if (node !== view) {
              figure.removeChild(node);
            }
          });
          view.hidden = false;
        })
        .catch(function () {
          figure.removeChild(view); // the server's SVG stays
        });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    draw(document);
  });
  // Content htmx swaps in (a period picked, a tab opened) brings new charts.
  document.addEventListener("htmx:load", function (event) {
    draw(event.target);
  });
})();
