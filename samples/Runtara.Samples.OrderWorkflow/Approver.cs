using System.Text.Json;
using Google.Protobuf;
using Runtara.Protocol.Management;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;

namespace Runtara.Samples.OrderWorkflow;

/// <summary>
/// The approver's side: sends the custom signal <c>approve</c> to an order instance through the
/// core's management protocol (what the environment's SendCustomSignal proxies to). Reads the core's
/// management address from <c>RUNTARA_MANAGEMENT_ADDR</c> (default 127.0.0.1:8003) and trusts the
/// certificate named by <c>RUNTARA_TLS_PINNED_CERT</c>. The management protocol needs a service token
/// (docs/security.md): <c>RUNTARA_SERVICE_TOKEN</c>, or one minted from the core's key file
/// <c>RUNTARA_KEY_FILE</c> (default <c>./data/security/runtara.keys</c>).
/// </summary>
public static class Approver
{
    public static async Task<int> SendAsync(string instanceId, string approvedBy)
    {
        await using var client = new RpcClient<RpcRequest, RpcResponse>(new RpcClientOptions
        {
            Address = Environment.GetEnvironmentVariable("RUNTARA_MANAGEMENT_ADDR") ?? "127.0.0.1:8003",
            Tls = new ClientTlsOptions { PinnedCertificatePath = Environment.GetEnvironmentVariable("RUNTARA_TLS_PINNED_CERT") },
            CredentialProvider = () => DevTokens.Service("approver"),
        });
        var payload = JsonSerializer.SerializeToUtf8Bytes(new Approval(true, approvedBy, "looks good"), OrderJson.Default.Approval);
        var response = await client.CallAsync(new RpcRequest
        {
            SendCustomSignal = new SendCustomSignalRequest { InstanceId = instanceId, CheckpointId = "approve", Payload = ByteString.CopyFrom(payload) },
        });
        if (!response.SendCustomSignal.Success)
        {
            await Console.Error.WriteLineAsync($"approve: {response.SendCustomSignal.Error}");
            return 1;
        }

        Console.WriteLine($"Sent 'approve' to {instanceId} as {approvedBy}.");
        return 0;
    }
}
