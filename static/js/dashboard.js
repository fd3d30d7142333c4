// The dashboard's chart (ECharts) and map (Leaflet), both served by the app itself. The data comes from
// the page (json_script); with no tile URL configured the map draws on a plain background and asks
// nothing of any other host. The map's words (zoom buttons, legend) are translated by the template and
// read here from the map element's data-* attributes.
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
  const text = mapElement.dataset;
  const view = L.map(mapElement, { zoomControl: false, attributionControl: Boolean(map.tile_url) });
  // Leaflet's own titles are English: the template's translations replace them.
  L.control.zoom({ zoomInTitle: text.zoomIn || "Zoom in", zoomOutTitle: text.zoomOut || "Zoom out" }).addTo(view);
  if (map.tile_url) {
    L.tileLayer(map.tile_url, { attribution: map.tile_attribution, maxZoom: 18 }).addTo(view);
  }

  // The legend: what the markers and zones mean, on the map itself, with or without tiles.
  const legend = L.control({ position: "bottomright" });
  legend.onAdd = function () {
    const box = L.DomUtil.create("div", "leaflet-control map-legend bg-white border rounded small p-2");
    box.setAttribute("data-testid", "map-legend");
    [
      ["legend-coal", text.legendCoal],
      ["legend-station", text.legendStation],
      ["legend-zone", text.legendZone],
    ].forEach(function (item) {
      const line = L.DomUtil.create("div", "d-flex align-items-center gap-1", box);
      L.DomUtil.create("span", "legend-swatch " + item[0], line);
      const label = L.DomUtil.create("span", "", line);
      label.textContent = item[1] || "";
    });
    L.DomEvent.disableClickPropagation(box);
    return box;
  };
  legend.addTo(view);

  const bounds = [];
  map.stations.forEach(function (s) {
    L.circle([s.lat, s.lng], {
      radius: s.radius,
      color: "#0d6efd",
      weight: 2,
      fillOpacity: 0.08,
      className: "station-zone station-" + s.code,
    }).bindTooltip(s.name + "（" + s.code + "） " + s.radius + " m").addTo(view);
    // The station's name is always shown (a permanent label): a touch screen has no hover.
    L.circleMarker([s.lat, s.lng], { radius: 4, color: "#0d6efd", fillOpacity: 1, className: "station" })
      .bindTooltip(s.name, { permanent: true, direction: "right", offset: [6, 0], className: "station-label" })
      .addTo(view);
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
