using Runtara.Engine.Events;
using Runtara.Engine.Instances;
using Runtara.Engine.Signals;

namespace Runtara.Engine.Storage;

/// <summary>
/// The statements of the checkpoint path (three per checkpoint, in every workflow step) and of an
/// instance's registration and end (its row and its events), run by a backend natively inside the
/// writer's open transaction, where its driver costs more than the work:
/// Microsoft.Data.Sqlite allocates a parameter binder per parameter, a reader, a record and a
/// statement enumerator per execution, and encodes every parameter name to UTF-8 for each bind.
/// Synchronous, because an embedded engine's calls do not wait on a network. Same semantics as the
/// <see cref="IStoreWriter"/> methods of the same names; a backend without them uses its commands.
/// </summary>
internal interface IHotPathStatements : IDisposable
{
    /// <inheritdoc cref="IStoreWriter.GetInstanceAndSignalsAsync"/>
    (InstanceStatus? Status, long Incarnation, PendingSignal? Signal, bool CustomSignalWaiting) GetInstanceAndSignals(string instanceId, string checkpointId);

    /// <summary>INSERT … ON CONFLICT DO NOTHING of one checkpoint: true when this call stored it.</summary>
    bool InsertCheckpointIfAbsent(string instanceId, string checkpointId, byte[] state, long nowMs);

    /// <inheritdoc cref="IStoreWriter.SetLastCheckpointAsync"/>
    void SetLastCheckpoint(string instanceId, string checkpointId, long atMs);

    /// <inheritdoc cref="IStoreWriter.InsertInstanceAsync"/>
    void InsertInstance(InstanceRecord instance);

    /// <inheritdoc cref="IStoreWriter.UpdateInstanceAsync"/>
    void UpdateInstance(InstanceRecord instance);

    /// <inheritdoc cref="IStoreWriter.InsertEventAsync"/>
    void InsertEvent(NewEvent instanceEvent);
}
