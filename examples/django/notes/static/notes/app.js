// Marks the page as scripted, so the style sheet could tell; the point is a .js file among the collected assets.
document.documentElement.classList.add("js");
