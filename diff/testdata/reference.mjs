import { TheilSenRegression as TheilSen } from 'ml-regression-theil-sen';
import * as ss from 'simple-statistics';
import jStat from 'jstat';
const sets = {
  holycross: [12.9, 14.8, 13.2, 15.7, 13.8, 15.6, 12.9, 11.0, 17.3, 15.9, 19.0, 18.3, 20.1, 21.7],
  outlier: [1, 2.1, 2.9, 4.2, 5.0, 30, 7.1, 7.9, 9.2, 10.1],
};
for (const [name, y] of Object.entries(sets)) {
  const x = y.map((_, i) => i + 1);
  const ts = new TheilSen(x, y);
  const lr = ss.linearRegression(x.map((xi, i) => [xi, y[i]]));
  const f = ss.linearRegressionLine(lr);
  const r2 = ss.rSquared(x.map((xi, i) => [xi, y[i]]), f);
  const n = x.length;
  const resid = y.map((yi, i) => yi - f(x[i]));
  const sse = resid.reduce((a, r) => a + r * r, 0);
  const mx = ss.mean(x);
  const sxx = x.reduce((a, xi) => a + (xi - mx) ** 2, 0);
  const se = Math.sqrt(sse / (n - 2) / sxx);
  const t = lr.m / se;
  const p = 2 * (1 - jStat.studentt.cdf(Math.abs(t), n - 2));
  console.log(JSON.stringify({name, theilSenSlope: ts.slope, theilSenIntercept: ts.intercept, olsSlope: lr.m, olsIntercept: lr.b, r2, seSlope: se, t, p}));
}
