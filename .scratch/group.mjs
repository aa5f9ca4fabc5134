import fs from 'node:fs';
const file = process.argv[2];
const p = JSON.parse(fs.readFileSync(file));
const byId = new Map(p.nodes.map(n => [n.id, n]));
const self = new Map();
const dt = p.timeDeltas; let total=0;
for (let i=0;i<p.samples.length;i++){ const n=byId.get(p.samples[i]); const d=dt[i]||0; total+=d; self.set(n.id,(self.get(n.id)||0)+d);}
const fn = new Map(); const bucket=new Map();
for (const [id,t] of self){ const n=byId.get(id); const cf=n.callFrame; const key=`${cf.functionName||'(anon)'} ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber}`; fn.set(key,(fn.get(key)||0)+t);
 const u=cf.url; const b = cf.functionName==='(idle)'?'idle': cf.functionName==='(garbage collector)'?'gc': u.includes('xstate')?'xstate': u.includes('/dist/')?'baton': u.startsWith('node:')?u: u===''? cf.functionName : 'other:'+u.split('/').slice(-1)[0]; bucket.set(b,(bucket.get(b)||0)+t);}
console.log('total ms', (total/1000).toFixed(0));
for (const [k,v] of [...bucket].sort((a,b)=>b[1]-a[1]).slice(0,25)) console.log((v/total*100).toFixed(1).padStart(5), (v/1000).toFixed(0).padStart(6), k);
console.log('---');
for (const [k,v] of [...fn].sort((a,b)=>b[1]-a[1]).slice(0,30)) console.log((v/total*100).toFixed(1).padStart(5), (v/1000).toFixed(0).padStart(6), k);
