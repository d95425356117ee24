/* Site search: builds a Lunr index from the documents of this language
   (window.sitegenSearchData, loaded by a script tag, so it also works from file://)
   and shows the matching pages as links. No request leaves the page. */
(function () {
  "use strict";

  var config = document.getElementById("_search-config");
  var data = window.sitegenSearchData;
  if (!config || !data || !window.lunr) {
    return;
  }
  var input = document.getElementById("_search-input");
  var status = document.getElementById("_search-status");
  var list = document.getElementById("_search-results");
  var documents = data.documents;

  var index = window.lunr(function () {
    if (data.lang === "de" && window.lunr.de) {
      this.use(window.lunr.de);
    }
    this.ref("i");
    this.field("title", { boost: 10 });
    this.field("summary", { boost: 3 });
    this.field("text");
    this.metadataWhitelist = ["position"];
    documents.forEach(function (doc, i) {
      this.add({ i: String(i), title: doc.title, summary: doc.summary, text: doc.text });
    }, this);
  });

  function search(text) {
    var words = window.lunr.tokenizer(text).map(String).filter(Boolean);
    if (!words.length) {
      return [];
    }
    // Built clause by clause, so no input is a syntax error: each word as written
    // (stemmed), as the start of a longer word, and with one typo for longer words.
    return index.query(function (query) {
      words.forEach(function (word) {
        query.term(word, { boost: 10 });
        query.term(word, { usePipeline: false, wildcard: window.lunr.Query.wildcard.TRAILING, boost: 2 });
        if (word.length > 4) {
          query.term(word, { usePipeline: false, editDistance: 1 });
        }
      });
    });
  }

  function href(url) {
    var target = config.dataset.root + url;
    return config.dataset.indexFiles === "true" && /\/$/.test(target) ? target + "index.html" : target;
  }

  function snippet(doc, result) {
    // Text around the first match in the body, else the summary.
    var first = null;
    Object.keys(result.matchData.metadata).forEach(function (term) {
      var fields = result.matchData.metadata[term];
      if (fields.text && fields.text.position && (first === null || fields.text.position[0][0] < first[0])) {
        first = fields.text.position[0];
      }
    });
    var paragraph = document.createElement("p");
    if (first === null) {
      paragraph.textContent = doc.summary;
      return paragraph;
    }
    // About a line of text around the match, cut at spaces rather than inside words.
    var start = Math.max(0, first[0] - 80);
    var end = Math.min(doc.text.length, first[0] + first[1] + 120);
    if (start > 0 && doc.text.indexOf(" ", start) !== -1 && doc.text.indexOf(" ", start) < first[0]) {
      start = doc.text.indexOf(" ", start) + 1;
    }
    if (end < doc.text.length && doc.text.lastIndexOf(" ", end) > first[0] + first[1]) {
      end = doc.text.lastIndexOf(" ", end);
    }
    paragraph.appendChild(document.createTextNode((start > 0 ? "… " : "") + doc.text.slice(start, first[0])));
    var mark = document.createElement("mark");
    mark.textContent = doc.text.slice(first[0], first[0] + first[1]);
    paragraph.appendChild(mark);
    paragraph.appendChild(document.createTextNode(doc.text.slice(first[0] + first[1], end) + (end < doc.text.length ? " …" : "")));
    return paragraph;
  }

  function show(text) {
    list.removeAttribute("aria-busy");
    list.textContent = "";
    if (!text.trim()) {
      status.textContent = "";
      return;
    }
    var results = search(text);
    var count = results.length;
    status.textContent = count === 0
      ? config.dataset.none.replace("{query}", text)
      : (count === 1 ? config.dataset.one : config.dataset.many).replace("{count}", String(count));
    results.slice(0, 50).forEach(function (result) {
      var doc = documents[Number(result.ref)];
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = href(doc.url);
      link.textContent = doc.title;
      if (doc.lang !== data.lang) {
        link.hreflang = doc.lang;
        link.lang = doc.lang;
      }
      item.appendChild(link);
      var section = document.createElement("span");
      section.className = "meta";
      section.textContent = doc.section + (doc.lang !== data.lang ? " · " + doc.lang.toUpperCase() : "");
      item.appendChild(section);
      item.appendChild(snippet(doc, result));
      list.appendChild(item);
    });
  }

  var query = new URLSearchParams(window.location.search).get("q") || "";
  input.value = query;
  show(query);
  var timer = null;
  input.addEventListener("input", function () {
    // Busy until the typing pauses: the list still shows the results of the last query.
    list.setAttribute("aria-busy", "true");
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { show(input.value); }, 150);
  });
  input.form.addEventListener("submit", function (event) {
    // Stay on the page, but keep the query in the address so it can be shared or bookmarked.
    event.preventDefault();
    show(input.value);
    if (window.history && window.location.protocol !== "file:") {
      window.history.replaceState(null, "", "?q=" + encodeURIComponent(input.value));
    }
  });
})();
