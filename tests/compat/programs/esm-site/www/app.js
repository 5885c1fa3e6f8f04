/* global document */
document.querySelector("p").textContent = "loaded";
