/* Sahifa search: queries the static index written by generator/search_index.py.
 * The normalisation below mirrors search_key() and clitic_forms() in Python; the letter
 * folding table and the characters keys leave out (diacritics, tatweel, bidi and invisible
 * characters) come from meta.json, written from generator/textnorm.py, so both sides always
 * use the same ones.
 * No server, no dependencies; results are built with textContent only. */
(function () {
  'use strict';
  var form = document.getElementById('search-form');
  if (!form) return;
  var input = document.getElementById('search-input');
  var list = document.getElementById('search-results');
  var status = document.getElementById('search-status');
  var base = form.getAttribute('data-index');
  var MARKS = /\p{Mn}/gu;
  var TOKEN = /[\p{L}\p{N}]+/gu;
  var MAX_RESULTS = 30;
  var FORMAT = 5;  // generator/search_index.py FORMAT: the layout of the index this script reads
  var metaPromise = null;
  var cache = new Map();

  function getJSON(url) {
    if (!cache.has(url)) {
      cache.set(url, fetch(url).then(function (r) {
        if (!r.ok) throw new Error(url + ': ' + r.status);
        return r.json();
      }));
    }
    return cache.get(url);
  }

  function meta() {
    if (!metaPromise) {
      metaPromise = getJSON(base + 'meta.json').then(function (m) {
        if (m.format !== FORMAT) throw new Error('search index format ' + m.format + ', not ' + FORMAT);
        return m;
      });
    }
    return metaPromise;
  }

  function ignored(m) {
    if (!m.ignoreRe) {
      var hex = function (cp) { return '\\u{' + cp.toString(16) + '}'; };
      m.ignoreRe = new RegExp('[' + m.ignore.map(function (r) {
        return r[0] === r[1] ? hex(r[0]) : hex(r[0]) + '-' + hex(r[1]);
      }).join('') + ']', 'gu');
    }
    return m.ignoreRe;
  }

  function searchKey(m, text) {
    var t = text.normalize('NFKC').toLowerCase().replace(ignored(m), '');
    t = t.replace(/\u200c/g, ' ');
    t = Array.from(t, function (ch) { return m.fold[ch] || ch; }).join('');
    t = t.normalize('NFD').replace(MARKS, '').replace(/ß/g, 'ss').replace(/ς/g, 'σ');
    return t.normalize('NFC');
  }

  function tokens(m, text) {
    var seen = new Set();
    (searchKey(m, text).match(TOKEN) || []).forEach(function (tok) {
      if (Array.from(tok).length >= m.min) seen.add(tok);
    });
    return Array.from(seen);
  }

  function len(s) { return Array.from(s).length; }

  function cliticForms(token) {
    var forms = new Set([token]);
    var conj = [token];
    if ('وف'.indexOf(token[0]) >= 0 && len(token) > 3) conj.push(token.slice(1));
    conj.forEach(function (word) {
      forms.add(word);
      if (word.indexOf('لل') === 0 && len(word) > 4) forms.add(word.slice(2));
      var preps = [word];
      if ('بلك'.indexOf(word[0]) >= 0 && len(word) > 3) preps.push(word.slice(1));
      preps.forEach(function (stem) {
        forms.add(stem);
        if (stem.indexOf('ال') === 0 && len(stem) > 4) forms.add(stem.slice(2));
      });
    });
    return Array.from(forms);
  }

  function shardName(prefix, terminal) {
    var name = Array.from(prefix).map(function (ch) {
      return ch.codePointAt(0).toString(16).padStart(4, '0');
    }).join('-') || 'all';
    return terminal ? name + '-end' : name;
  }

  // Shards of ``plan`` that can hold ``form`` (and, when ``prefixes``, keys starting with it).
  // A shard [p, 0] holds keys starting with p; [p, 1] holds only the key p (see plan_shards).
  function shardsFor(plan, form, prefixes) {
    return plan.filter(function (s) {
      var p = s[0];
      if (s[1]) return prefixes ? p.indexOf(form) === 0 : p === form;
      return form.indexOf(p) === 0 || (prefixes && p.indexOf(form) === 0);
    }).map(function (s) { return shardName(s[0], s[1]); });
  }

  function add(scores, postings, factor) {
    for (var i = 0; i < postings.length; i += 2) {
      var s = postings[i + 1] * factor;
      if ((scores.get(postings[i]) || 0) < s) scores.set(postings[i], s);
    }
  }

  // Scores of one query word: exact forms count fully, clitic-stripped forms 0.7, and keys
  // that merely start with a form (typing in progress, suffixes) half of that.
  function wordScores(m, word) {
    var forms = m.clitics ? cliticForms(word) : [word];
    var scores = new Map();
    var jobs = [];
    forms.forEach(function (form) {
      var prefixes = len(form) >= 3;
      var factor = form === word ? 1 : 0.7;
      // The index is cut in two (search_index.RECENT): "t-" shards hold the older
      // documents, "r-" shards the newest; a word's postings are those of both.
      [['t-', m.shards], ['r-', m.recent || []]].forEach(function (part) {
        shardsFor(part[1], form, prefixes).forEach(function (name) {
          jobs.push(getJSON(base + part[0] + name + '.json').then(function (shard) {
            if (Object.prototype.hasOwnProperty.call(shard, form)) add(scores, shard[form], factor);
            if (prefixes) {
              Object.keys(shard).forEach(function (k) {
                if (k !== form && k.indexOf(form) === 0) add(scores, shard[k], factor * 0.5);
              });
            }
          }));
        });
      });
    });
    return Promise.all(jobs).then(function () { return scores; });
  }

  function run(query) {
    return meta().then(function (m) {
      var words = tokens(m, query);
      if (!words.length) return { m: m, hits: [], words: 0 };
      return Promise.all(words.map(function (w) { return wordScores(m, w); })).then(function (all) {
        var total = new Map();
        all[0].forEach(function (s, doc) {
          var sum = s;
          for (var i = 1; i < all.length; i++) {
            if (!all[i].has(doc)) return;  // every word must match
            sum += all[i].get(doc);
          }
          total.set(doc, sum);
        });
        var hits = Array.from(total.keys()).sort(function (a, b) {
          return total.get(b) - total.get(a) || b - a;  // docs are numbered oldest first
        }).slice(0, MAX_RESULTS);
        return { m: m, hits: hits, words: words.length };
      });
    });
  }

  function show(result, query) {
    var m = result.m;
    var chunks = Array.from(new Set(result.hits.map(function (d) { return Math.floor(d / m.chunk); })));
    return Promise.all(chunks.map(function (c) { return getJSON(base + 'd-' + c + '.json'); })).then(function (loaded) {
      if (input.value !== query) return;  // a newer query is on its way
      var byChunk = new Map();
      chunks.forEach(function (c, i) { byChunk.set(c, loaded[i]); });
      list.textContent = '';
      result.hits.forEach(function (d) {
        var doc = byChunk.get(Math.floor(d / m.chunk))[d % m.chunk];
        var li = document.createElement('li');
        var a = document.createElement('a');
        a.href = doc[1];
        a.textContent = doc[0];
        a.setAttribute('dir', 'auto');
        var h = document.createElement('h2');
        h.className = 'card-title';
        h.appendChild(a);
        li.appendChild(h);
        if (doc[2]) {
          var time = document.createElement('time');
          time.dateTime = doc[2];
          time.textContent = doc[4] || doc[2];  // the pages' own date line, made by the build
          var p = document.createElement('p');
          p.className = 'meta';
          p.appendChild(time);
          li.appendChild(p);
        }
        if (doc[3]) {
          var lead = document.createElement('p');
          lead.className = 'lead';
          lead.setAttribute('dir', 'auto');
          lead.textContent = doc[3];
          li.appendChild(lead);
        }
        li.className = 'card';
        list.appendChild(li);
      });
      status.textContent = result.words && !result.hits.length ? status.getAttribute('data-none') : '';
      form.setAttribute('data-state', 'done');
    });
  }

  var timer = null;
  function update() {
    var query = input.value;
    form.setAttribute('data-state', 'busy');
    var url = new URL(window.location.href);
    if (query) url.searchParams.set('q', query); else url.searchParams.delete('q');
    history.replaceState(null, '', url);
    run(query).then(function (result) { return show(result, query); }).catch(function () {
      status.textContent = status.getAttribute('data-error');
      form.setAttribute('data-state', 'error');
    });
  }

  input.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(update, 120);
  });
  form.addEventListener('submit', function (event) {
    event.preventDefault();
    clearTimeout(timer);
    update();
  });
  var initial = new URLSearchParams(window.location.search).get('q');
  if (initial) {
    input.value = initial;
    update();
  }
  window.sahifaSearch = { key: function (text) { return meta().then(function (m) { return tokens(m, text); }); },
                          forms: cliticForms };
})();
