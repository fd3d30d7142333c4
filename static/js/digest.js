// The daily digest page: groups without a robot copy the digest and paste it into the chat.
(function () {
  "use strict";

  document.getElementById("copy-digest")?.addEventListener("click", async (event) => {
    const text = document.getElementById("digest-text").textContent;
    try {
      await navigator.clipboard.writeText(text);
    } catch (error) {
      const range = document.createRange();
      range.selectNodeContents(document.getElementById("digest-text"));
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      document.execCommand("copy");
    }
    event.target.textContent = event.target.dataset.copied;
    document.getElementById("copy-status").textContent = event.target.dataset.copied; // said aloud
  });
})();
