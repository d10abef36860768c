// Render every <div class="chart" id="X"> from the JSON options in <script id="X-data">.
(function () {
  if (typeof echarts === "undefined") return;
  var locale = (document.documentElement.lang || "zh").indexOf("zh") === 0 ? "ZH" : "EN";
  document.querySelectorAll(".chart").forEach(function (el) {
    var data = document.getElementById(el.id.replace(/-chart$/, "") + "-data");
    if (!data) return;
    var chart = echarts.init(el, null, { locale: locale, renderer: "svg" });
    chart.setOption(JSON.parse(data.textContent));
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
