import * as fs from 'node:fs';
import { it } from 'vitest';
import { FigureExporter } from '../../toolkit/src/plots/export';
import { learningCurves } from '../../toolkit/src/plots/learning-curves';
it('renders', async () => {
  const ex = await FigureExporter.launch();
  const fig = learningCurves([0, 1, 2, 3].map((e) => ({ epoch: e, loss: 1 / (e + 1), accuracy: 0.5 + e / 10, valLoss: 1.1 / (e + 1), valAccuracy: [0.4, 0.7, 0.7, 0.65][e]!, testLoss: 1.2 / (e + 1), testAccuracy: 0.45 + e / 12 })));
  const svg = await ex.render(fig, { format: 'svg' });
  fs.writeFileSync('/tmp/lc.svg', svg);
  fs.writeFileSync('/tmp/lc.png', await ex.render(fig, { format: 'png', scale: 2 }));
  console.log('shapes', (svg.match(/class="shapelayer"/g) ?? []).length, (svg.match(/<path[^>]*shape/g) ?? []).length, svg.includes('best (validation)'));
  await ex.close();
}, 60000);
