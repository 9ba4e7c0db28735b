// The 200,000-marker genotype run of notebook 04's full mode, with the built toolkit (issue 19):
// `node scripts/genotype-wide.cjs '{"markers":200000}'` (options: samples, markers, hidden, eps, epochs, batch,
// lr, seed, backend). Prints the time, peak RSS, test accuracy and the causal markers' ranks.
const t = { ...require('../toolkit/dist/index.js'), rankOrder: require('../toolkit/dist/features/importance.js').rankOrder };
const c = Object.assign({ samples: 4000, markers: 200_000, hidden: 10, eps: 0.002, epochs: 20, batch: 256, lr: 0.1, seed: 1, backend: 'auto' }, JSON.parse(process.argv[2] || '{}'));
console.log(JSON.stringify(c));
let t0 = performance.now();
const g = t.genotypes({ nSamples: c.samples, nMarkers: c.markers, nCausal: 5, nPairs: 1, heritability: 0.9, seed: c.seed });
const generated = (performance.now() - t0) / 1000;
const { train, test } = t.trainTestSplit(g.data, { testFraction: 0.2 }, c.seed);
const model = t.mlp([c.markers, c.hidden, 2], { sparsity: [{ kind: 'erdos-renyi', eps: c.eps }, { kind: 'dense' }], seed: c.seed, backend: c.backend });
t.centreInputs(model, train);
model.compile({ optimizer: { name: 'sgd', lr: c.lr, momentum: 0.9, weightDecay: 0.001 }, policy: { policy: 'rigl', k: 5 } });
console.log(`generated ${(g.data.values.length / 1e6).toFixed(1)} M non-zeros in ${generated.toFixed(1)} s; layers ${model.connectionsPerLayer()}; ${model.backendSummary()}`);
(async () => {
  t0 = performance.now();
  await model.fit(train, { epochs: c.epochs, batchSize: c.batch, verbose: 0, callbacks: { onEpochEnd: (l) => console.log(`epoch ${l.epoch} loss ${l.loss.toFixed(4)} acc ${l.accuracy.toFixed(3)} ${l.seconds.toFixed(1)} s`) } });
  const trained = (performance.now() - t0) / 1000;
  const acc = model.evaluate(test).accuracy;
  const rank = new Int32Array(c.markers); t.rankOrder(t.inputStrength(model)).forEach((f, r) => (rank[f] = r + 1));
  const cr = new Int32Array(c.markers); t.rankOrder(t.baselineRanking('chi2', train).scores).forEach((f, r) => (cr[f] = r + 1));
  console.log(`trained ${c.epochs} epochs in ${trained.toFixed(1)} s; test accuracy ${acc.toFixed(3)} (${test.nSamples} samples); peak RSS ${(process.resourceUsage().maxRSS / 2 ** 20).toFixed(2)} GiB`);
  console.log(`SET/RigL strength ranks of the additive causal markers [${Array.from(g.causal, (m) => rank[m])}], pair members [${Array.from(g.pairs, (m) => rank[m])}]; chi2 [${Array.from(g.causal, (m) => cr[m])}], pairs [${Array.from(g.pairs, (m) => cr[m])}]`);
})();
