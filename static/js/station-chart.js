// The station chart (ECharts, served by the app): PM2.5 hourly and daily mean over the national grade bands, and
// the night checks in the station's zone on the same time axis. The data comes from the page (json_script,
// air.selectors.station_chart); the same figures are in the table under the chart, each linking to its readings.
(function () {
  const source = document.getElementById("station-chart-data");
  const element = document.getElementById("station-chart");
  if (!source || !element || !window.echarts) return;
  const data = JSON.parse(source.textContent);
  const labels = data.labels;

  // A day's figures sit at its noon; a night's checks at the midnight it spans.
  function at(day, hours) {
    const moment = new Date(day + "T00:00:00+08:00");
    return moment.getTime() + hours * 3600 * 1000;
  }
  // The daily mean is a step over its whole day, from midnight to midnight (the first and the last day's too:
  // drawn from noon to noon, the last day's step stopped at its noon); a day of too few hours, which the table
  // marks and does not grade, has no step.
  function mean(d) { return d.complete ? d.mean : null; }
  const daily = data.days.map(function (d) { return [at(d.day, 12), mean(d)]; });
  if (data.days.length) {
    const firstDay = data.days[0];
    const lastDay = data.days[data.days.length - 1];
    daily.unshift([at(firstDay.day, 0), mean(firstDay)]);
    daily.push([at(lastDay.day, 24), mean(lastDay)]);
  }
  const checks = data.days.map(function (d) { return [at(d.day, 24), d.checks]; });
  const found = data.days.map(function (d) { return [at(d.day, 24), d.found]; });
  // Each marked night spans exactly the night-check window (NIGHT_START to NIGHT_END), the same width every night.
  const night = data.night;
  const flagged = data.days.filter(function (d) { return d.flagged; }).map(function (d) {
    return [{ xAxis: at(d.day, night.start), name: "▲" }, { xAxis: at(d.day, night.end) }];
  });
  // Both time axes run over the whole period and its last night: left to ECharts, they end at the last figure
  // (the last midnight), which cut the last night's mark short.
  const first = data.days[0];
  const last = data.days[data.days.length - 1];
  const axisMin = first ? at(first.day, 0) : null;
  const axisMax = last ? at(last.day, Math.max(24, night.end)) : null;
  const bands = data.bands.map(function (b) {
    return [
      { yAxis: b.from, name: b.label, itemStyle: { color: b.colour, opacity: 0.12 } },
      { yAxis: b.to === null ? 500 : b.to },
    ];
  });
  const byTime = {};
  data.days.forEach(function (d) { byTime[at(d.day, 12)] = d; byTime[at(d.day, 24)] = d; });

  const chart = window.echarts.init(element, null, { renderer: "canvas" });
  // On a phone the four legend entries take two lines: the plot starts below them, not under them.
  const narrow = element.clientWidth < 576;
  // A viewer with no households in the zone gets no night-check figures (the table shows "—"): the readings
  // take the whole chart rather than sitting over an empty panel.
  const counted = data.counted;
  const readingsGrid = counted
    ? { left: 48, right: 16, top: narrow ? 80 : 36, height: narrow ? "44%" : "52%" }
    : { left: 48, right: 16, top: narrow ? 56 : 36, bottom: 28 };
  chart.setOption({
    animation: false,
    tooltip: { trigger: "axis" },
    legend: { top: 0 },
    grid: [readingsGrid, { left: 48, right: 16, top: "72%", bottom: 28, show: false }],
    xAxis: [
      { type: "time", gridIndex: 0, min: axisMin, max: axisMax, axisLabel: { show: !counted } },
      // ECharts widens an axis that carries bars so the outermost bars fit ("containShape"): the lower axis
      // would then run over a longer span than the upper one, and a night's bars stand hours away from the
      // readings above them. Both axes keep exactly the period instead.
      { type: "time", gridIndex: 1, min: axisMin, max: axisMax, containShape: false, show: counted },
    ],
    yAxis: [
      { type: "value", gridIndex: 0, name: labels.unit, min: 0 },
      { type: "value", gridIndex: 1, minInterval: 1, show: counted },
    ],
    axisPointer: { link: [{ xAxisIndex: "all" }] },
    dataZoom: [{ type: "inside", xAxisIndex: [0, 1] }],
    series: [
      {
        name: labels.hourly,
        type: "line",
        showSymbol: false,
        connectNulls: false,
        data: data.hours,
        lineStyle: { width: 1 },
        // Plain dark labels: ECharts outlines a label inside an area by default, which blurs small Chinese text.
        markArea: {
          silent: true,
          label: { position: "insideLeft", fontSize: 10, color: "#495057", textBorderWidth: 0 },
          data: bands,
        },
      },
      { name: labels.daily, type: "line", step: "middle", data: daily, lineStyle: { width: 3 } },
    ].concat(counted ? [
      {
        name: labels.checks,
        type: "bar",
        xAxisIndex: 1,
        yAxisIndex: 1,
        barMaxWidth: 14,
        data: checks,
        markArea: { itemStyle: { color: "rgba(220, 53, 69, 0.25)" }, label: { color: "#b02a37", textBorderWidth: 0 }, data: flagged },
      },
      { name: labels.found, type: "bar", xAxisIndex: 1, yAxisIndex: 1, barMaxWidth: 14, data: found },
    ] : []),
  });
  // A click on a day's mean or a night's bars opens the readings of that day.
  chart.on("click", function (event) {
    const day = event.value && byTime[event.value[0]];
    if (day) window.location.href = day.readings_url;
  });
  element.dataset.rendered = "true";
  window.addEventListener("resize", function () { chart.resize(); });
})();
