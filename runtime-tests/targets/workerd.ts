/**
 * The entry for workerd: a Worker whose `test` handler runs the suites (`workerd test`), with
 * no compatibility flags, so no Node.js API is available: what passes here runs on Web
 * Standards alone.
 *
 * @module
 */
import { REPORT_MARK, runAll } from '../suites.js';

export default {
  async test(): Promise<void> {
    const report = await runAll(`workerd ${navigator.userAgent}`);
    console.log(`${REPORT_MARK}${JSON.stringify(report)}`);
    if (report.failed > 0) throw new Error(`${report.failed} test(s) failed`);
  },
};
