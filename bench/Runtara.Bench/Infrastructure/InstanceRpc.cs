using Google.Protobuf;
using Runtara.Core.Hosting;
using Runtara.Protocol.Instance;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;
using Runtara.Protocol.Transport;

namespace Runtara.Bench.Infrastructure;

/// <summary>Bare instance-protocol calls (no SDK) against a core: what the checkpoint benchmarks send.</summary>
internal static class InstanceRpc
{
    /// <summary>
    /// A client of the core's instance port over TLS/TCP, its certificate pinned, at most
    /// <paramref name="maxConnections"/> connections; or of its instance socket with <paramref name="unixSocket"/>.
    /// </summary>
    public static RpcClient<RpcRequest, RpcResponse> Client(CoreEndpoints endpoints, string token, int maxConnections, bool unixSocket = false) => new(new RpcClientOptions
    {
        Address = unixSocket
            ? RpcAddress.UnixScheme + (endpoints.InstanceSocket ?? throw new InvalidOperationException("The core serves no instance socket."))
            : $"127.0.0.1:{endpoints.InstancePort}",
        Transport = unixSocket ? TransportKind.Unix : TransportKind.Tcp,
        MaxConnections = maxConnections,
        Tls = new ClientTlsOptions { PinnedCertificatePath = endpoints.CertificatePath },
        CredentialProvider = () => token,
    });

    public static Task RegisterAsync(RpcClient<RpcRequest, RpcResponse> client, string instanceId, CancellationToken cancellationToken) =>
        client.CallAsync(new RpcRequest { RegisterInstance = new RegisterInstanceRequest { InstanceId = instanceId, TenantId = "bench" } }, cancellationToken);

    /// <summary>A checkpoint under a key not used before: a durable save-if-absent insert.</summary>
    public static async Task FreshCheckpointAsync(RpcClient<RpcRequest, RpcResponse> client, string instanceId, string checkpointId, ByteString state, CancellationToken cancellationToken)
    {
        var response = await client.CallAsync(new RpcRequest
        {
            Checkpoint = new CheckpointRequest { InstanceId = instanceId, CheckpointId = checkpointId, State = state },
        }, cancellationToken);
        if (response.Checkpoint.Found)
        {
            throw new InvalidOperationException("A fresh key was reported as existing.");
        }
    }

    /// <summary>A checkpoint state of <paramref name="size"/> bytes.</summary>
    public static ByteString State(int size) => ByteString.CopyFrom(Enumerable.Range(0, size).Select(i => (byte)i).ToArray());
}
