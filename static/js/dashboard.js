// The dashboard's chart (ECharts) and map (Leaflet), both served by the app itself. The data comes from
// the page (json_script); with no tile URL configured the map draws on a plain background and asks
// nothing of any other host.
(function () {
  function data(id) {
    const element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  const trend = data("dashboard-trend-data");
  const chartElement = document.getElementById("dashboard-trend");
  if (trend && chartElement && window.echarts) {
    const chart = window.echarts.init(chartElement, null, { renderer: "canvas" });
    chart.setOption({
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: trend.dates },
      yAxis: { type: "value", minInterval: 1 },
      series: trend.series.map(function (s) {
        return { name: s.name, type: s.key === "visits" ? "bar" : "line", data: s.data };
      }),
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  const map = data("dashboard-map-data");
  const mapElement = document.getElementById("dashboard-map");
  if (!map || !mapElement || !window.L) return;
  const L = window.L;
  const view = L.map(mapElement, { zoomControl: true, attributionControl: Boolean(map.tile_url) });
  if (map.tile_url) {
    L.tileLayer(map.tile_url, { attribution: map.tile_attribution, maxZoom: 18 }).addTo(view);
  }
  const bounds = [];
  map.stations.forEach(function (s) {
    L.circle([s.lat, s.lng], {
      radius: s.radius,
      color: "#0d6efd",
      weight: 2,
      fillOpacity: 0.08,
      className: "station-zone station-" + s.code,
    }).bindTooltip(s.name + "（" + s.code + "） " + s.radius + " m").addTo(view);
    L.circleMarker([s.lat, s.lng], { radius: 4, color: "#0d6efd", fillOpacity: 1, className: "station" })
      .bindTooltip(s.name).addTo(view);
  });
  map.households.forEach(function (h) {
    const marker = L.circleMarker([h.lat, h.lng], {
      radius: 6,
      color: "#b02a37",
      fillColor: "#dc3545",
      fillOpacity: 0.8,
      weight: 1,
      className: "coal-marker",
    }).addTo(view);
    const link = document.createElement("a");
    link.href = h.url;
    link.textContent = h.label;
    marker.bindPopup(link);
    bounds.push([h.lat, h.lng]);
  });
  if (map.centre) {
    view.setView(map.centre, 14);
  } else if (bounds.length) {
    view.fitBounds(bounds, { maxZoom: 15, padding: [20, 20] });
  } else {
    view.setView(map.default_centre, 13);
  }
})();
