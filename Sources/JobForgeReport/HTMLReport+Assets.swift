extension HTMLReport {
    /// Print-friendly, no web fonts: the system's sans-serif.
    static let css = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1b1b1b}
        h1{font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid #ccc}.meta{color:#555}
        table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}th,td{padding:.2rem .5rem;border-bottom:1px solid #e5e5e5;text-align:left;vertical-align:top}
        table.numbers td[data-n],td.n{text-align:right;font-variant-numeric:tabular-nums}tr.subtotal{font-weight:600;background:#f6f6f6}
        .cards{display:flex;flex-wrap:wrap;gap:.6rem}.card{border:1px solid #ddd;border-radius:6px;padding:.5rem .8rem;min-width:9rem}
        .card b{display:block;font-size:1.4rem}.card span{color:#555;font-size:.85rem}
        .card.authoritative{border-left:6px solid #1f4e79}.card.onet{border-left:6px solid #2a9d8f}.card.llm{border-left:6px solid #e76f51}.card.empty{border-left:6px solid #bbb}
        svg.chart{width:100%;max-width:44rem;font-size:12px}rect.authoritative{fill:#1f4e79}rect.onet{fill:#2a9d8f}rect.llm{fill:#e76f51}rect.empty{fill:#d9d9d9}
        #filter{padding:.3rem;width:20rem;max-width:100%}code{background:#f3f3f3;padding:0 .2rem}
        table.sheet td.authoritative{color:#1f4e79}table.sheet td.onet{color:#1d6f65}table.sheet td.llm{color:#b4472c}tr.cat th{background:#eef2f7}
        @media print{.noprint,#filter{display:none}body{margin:0;max-width:none}a{color:inherit;text-decoration:none}}
        """

    /// The title filter and the sheet view (`#title=ID`); written for a page opened from a file.
    static let script = """
        (function(){
        var data=JSON.parse(document.getElementById('sheets').textContent);
        var L=JSON.parse(document.getElementById('labels').textContent);
        var report=document.getElementById('report'),sheet=document.getElementById('sheet');
        function esc(s){return String(s).replace(/[&<>"']/g,function(c){return{'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}[c];});}
        function show(){
        var m=/^#title=(.+)$/.exec(location.hash),open=document.body.getAttribute('data-open');
        if(!m&&!open){sheet.hidden=true;if(report){report.hidden=false;}return;}
        var id=m?decodeURIComponent(m[1]):open,t=data.titles[id];
        var h='<p class="noprint"><a href="#titles">'+esc(L.back)+'</a> <button type="button" id="print">'+esc(L.print)+'</button></p>';
        if(!t){h+='<p>'+esc(L.noSheet)+'</p>';}else{
        h+='<h1 data-sheet="'+esc(id)+'">'+esc(t.title)+' <small>('+esc(id)+')</small></h1>';
        h+='<p>'+esc(L.profile)+' '+esc(t.profile||'-')+' · '+esc(L.unitGroup)+' '+esc(t.unitGroup||'-')+' · '+esc(L.method)+' '+esc(t.method)+' '+t.confidence.toFixed(2)+'</p>';
        h+='<table class="sheet"><thead><tr><th>'+esc(L.descriptor)+'</th><th></th><th>'+esc(L.dimension)+'</th><th>'+esc(L.value)+'</th><th>'+esc(L.scale)+'</th><th>'+esc(L.source)+'</th><th>'+esc(L.confidence)+'</th><th>'+esc(L.path)+'</th></tr></thead><tbody>';
        var cat=null;
        t.cells.forEach(function(c){var d=data.dimensions[c[0]];
        if(d[2]!==cat){cat=d[2];h+='<tr class="cat"><th colspan="8">'+esc(cat)+'</th></tr>';}
        h+='<tr data-descriptor="'+esc(d[0])+'" data-dimension="'+esc(d[3])+'" data-value="'+c[1]+'" data-source="'+esc(c[3])+'" data-confidence="'+c[4]+'"><td>'+esc(d[0])+'</td><td>'+esc(d[1])+'</td><td>'+esc(d[3])+'</td><td class="n">'+c[1]+(c[2]?' '+esc(c[2]):'')+'</td><td>'+esc(d[4])+'</td><td class="'+esc(c[3])+'">'+esc(L[c[3]]||c[3])+'</td><td class="n">'+c[4].toFixed(2)+'</td><td>'+esc(id)+' ← '+esc(c[6].join(', '))+' ('+esc(c[5])+')</td></tr>';});
        h+='</tbody></table>';}
        sheet.innerHTML=h;sheet.hidden=false;if(report){report.hidden=true;}window.scrollTo(0,0);
        var p=document.getElementById('print');if(p){p.addEventListener('click',function(){window.print();});}
        }
        window.addEventListener('hashchange',show);show();
        var f=document.getElementById('filter'),rows=document.querySelectorAll('#title-index tbody tr');
        if(f)f.addEventListener('input',function(){var q=f.value.toLowerCase();rows.forEach(function(r){r.hidden=q!==''&&r.textContent.toLowerCase().indexOf(q)<0;});});
        })();
        """
}
