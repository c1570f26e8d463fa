namespace Runtara.Engine.Instances;

/// <summary>
/// Fencing of relaunched instances (docs/protocol.md "Incarnations"). Every RegisterInstance gives
/// the instance a new incarnation; a process presents its own on every request, and a write whose
/// incarnation is not the stored one is refused, inside the write's transaction (the instance row is
/// read, and locked on PostgreSQL, there anyway). <see cref="NotPresented"/> (0) is accepted unfenced:
/// what a 1.4.1 client, the embedded backend and management calls send.
/// </summary>
public static class IncarnationFence
{
    /// <summary>No incarnation presented: the request is not fenced.</summary>
    public const long NotPresented = 0;

    /// <summary>The wire value (<c>RpcRequest.incarnation</c>, uint64) as stored; values past <see cref="long.MaxValue"/> never match.</summary>
    public static long FromWire(ulong incarnation) => incarnation > long.MaxValue ? -1 : (long)incarnation;

    /// <summary>Throws <see cref="StaleIncarnationException"/> when <paramref name="presented"/> is given and is not <paramref name="current"/>.</summary>
    public static void Ensure(string instanceId, long current, long presented)
    {
        if (presented != NotPresented && presented != current)
        {
            throw new StaleIncarnationException(instanceId, presented, current);
        }
    }

    /// <summary>The same for a read instance row; a missing instance is left to the caller's own check.</summary>
    public static void Ensure(InstanceRecord? instance, long presented)
    {
        if (instance is not null)
        {
            Ensure(instance.InstanceId, instance.Incarnation, presented);
        }
    }
}
