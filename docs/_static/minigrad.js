// Display formulas wider than the content area are scaled down to fit it (MathJax 3 does not break
// lines); one that would have to shrink below 60% keeps that size and scrolls inside its own box
// (docs/_static/minigrad.css), so that no formula is ever cut off at the edge of the page.
(function () {
  const SMALLEST = 0.6;

  function fit() {
    for (const box of document.querySelectorAll('mjx-container[display="true"]')) {
      const math = box.firstElementChild;
      if (!math) continue;
      box.style.fontSize = "";
      const room = box.clientWidth, needed = math.getBoundingClientRect().width;
      if (room > 0 && needed > room) {
        box.style.fontSize = Math.max(SMALLEST, (room - 2) / needed) * 100 + "%";
      }
    }
  }

  function whenTypeset() {
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      MathJax.startup.promise.then(fit);
    } else {
      setTimeout(whenTypeset, 100);
    }
  }

  window.addEventListener("load", whenTypeset);
  window.addEventListener("resize", fit);
})();
