// Fill latitude/longitude from the phone's GPS. Browsers allow this only over HTTPS (or on localhost).
(function () {
  const button = document.getElementById("use-location");
  if (!button) return;
  if (!("geolocation" in navigator)) { button.hidden = true; return; }
  const label = button.textContent;
  button.addEventListener("click", function () {
    button.disabled = true;
    button.textContent = button.dataset.locating;
    navigator.geolocation.getCurrentPosition(
      function (position) {
        document.getElementById("id_latitude").value = position.coords.latitude.toFixed(6);
        document.getElementById("id_longitude").value = position.coords.longitude.toFixed(6);
        button.disabled = false;
        button.textContent = label;
      },
      function () {
        button.disabled = false;
        button.textContent = button.dataset.failed;
      },
      { enableHighAccuracy: true, timeout: 15000 }
    );
  });
})();
