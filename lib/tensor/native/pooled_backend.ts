/**
 * The native backend's tfjs backend object: tfjs's cpu backend that tells a {@link BufferPool}
 * when tensor data is stored, read out and deleted, so native kernels' output buffers are reused
 * after their tensors are disposed (see buffer_pool.ts for the safety rules).
 *
 * @example
 * ```ts ignore
 * const pool = new BufferPool(resolvePoolBytes());
 * tf.registerBackend("native", () => new PooledCpuBackend(pool), 0);
 * ```
 * @module
 */
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { backend_util, DataType } from "@tensorflow/tfjs-core";
import type { BufferPool } from "./buffer_pool.ts";

type DataId = Parameters<MathBackendCPU["disposeData"]>[0];

/** tfjs's cpu backend with buffer recycling hooks for the native kernels' outputs. */
export class PooledCpuBackend extends MathBackendCPU {
  constructor(readonly pool: BufferPool) {
    super();
    // The cpu backend prints a "use tfjs-node" banner on first use; it does not apply here.
    (this as unknown as { firstUse: boolean }).firstUse = false;
  }

  override write(values: backend_util.BackendValues, shape: number[], dtype: DataType): DataId {
    this.pool.registered(values);
    return super.write(values, shape, dtype);
  }

  override move(dataId: DataId, values: backend_util.BackendValues, shape: number[], dtype: DataType, refCount: number): void {
    this.pool.registered(values);
    super.move(dataId, values, shape, dtype, refCount);
  }

  override readSync(dataId: DataId): backend_util.BackendValues {
    // The cpu backend returns the stored array itself: the caller may keep it.
    if (this.data.has(dataId)) this.pool.escaped(this.data.get(dataId)!.values);
    return super.readSync(dataId);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const values = this.data.has(dataId) ? this.data.get(dataId)!.values : undefined;
    const done = super.disposeData(dataId, force);
    if (values !== undefined && !this.data.has(dataId)) this.pool.released(values);
    return done;
  }
}
