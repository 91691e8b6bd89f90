import { embeddedMaintenanceSeconds } from '../../src/metrics/metrics.ts';

/** How many times `task` was timed in switchboard_embedded_maintenance_seconds so far (this process). */
export async function maintenanceTimed(task: string): Promise<number> {
  const metric = await embeddedMaintenanceSeconds.get();
  return metric.values.find((v) => v.metricName?.endsWith('_count') && v.labels.task === task)?.value ?? 0;
}
