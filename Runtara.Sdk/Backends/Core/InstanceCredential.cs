using Microsoft.Extensions.Logging;
using Runtara.Protocol.Instance;
using Runtara.Protocol.Rpc;
using Runtara.Protocol.Security;
using Runtara.Sdk.Diagnostics;

namespace Runtara.Sdk.Backends.Core;

/// <summary>
/// The token the SDK presents in every request (<c>RUNTARA_INSTANCE_TOKEN</c>). An instance token is
/// renewed at the core (RenewCredential) once half its lifetime has passed, in the background, so a
/// long-running instance never presents an expired one; the hot path reads a field and compares a clock.
/// </summary>
internal sealed class InstanceCredential(string? token, TimeProvider time, ILogger logger)
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(5);
    private string? _token = token;
    private long _renewAtMs = RenewAt(token, time.GetUtcNow().ToUnixTimeMilliseconds());
    private int _renewing;

    /// <summary>Set once the client exists: sends RenewCredential with the current token.</summary>
    public RpcClient<RpcRequest, RpcResponse>? Client { get; set; }

    /// <summary>Set with the client: the incarnation to present for an instance (a superseded process gets no fresh token).</summary>
    public Func<string, ulong>? IncarnationOf { get; set; }

    /// <summary>The token for the next request; starts a renewal when it is due.</summary>
    public string? Current()
    {
        var current = Volatile.Read(ref _token);
        if (current is not null && time.GetUtcNow().ToUnixTimeMilliseconds() >= Volatile.Read(ref _renewAtMs)
            && Client is not null && Interlocked.CompareExchange(ref _renewing, 1, 0) == 0)
        {
            _ = RenewAsync(current);
        }

        return current;
    }

    private async Task RenewAsync(string current)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        try
        {
            TokenKeyRing.TryReadClaims(current, out var claims);
            var request = new RpcRequest
            {
                Credential = current,
                RenewCredential = new RenewCredentialRequest { InstanceId = claims!.Subject },
                Incarnation = IncarnationOf?.Invoke(claims.Subject) ?? 0,
            };
            var response = await Client!.CallAsync(request).ConfigureAwait(false);
            Volatile.Write(ref _token, response.RenewCredential.Credential);
            Volatile.Write(ref _renewAtMs, RenewAt(response.RenewCredential.Credential, time.GetUtcNow().ToUnixTimeMilliseconds()));
            Log.CredentialRenewed(logger, DateTimeOffset.FromUnixTimeMilliseconds(response.RenewCredential.ExpiresAtMs));
        }
        catch (RpcException ex)
        {
            // Try again shortly; the current token stays valid until its expiry.
            Volatile.Write(ref _renewAtMs, now + (long)RetryDelay.TotalMilliseconds);
            Log.CredentialRenewalFailed(logger, ex.Code, ex.Message);
        }
        finally
        {
            Volatile.Write(ref _renewing, 0);
        }
    }

    /// <summary>Half-way to expiry for instance tokens; never for service tokens, API keys or no token.</summary>
    private static long RenewAt(string? token, long nowMs) =>
        TokenKeyRing.TryReadClaims(token, out var claims) && claims!.Kind == TokenKind.Instance
            ? nowMs + Math.Max(0, (claims.ExpiresAtMs - nowMs) / 2)
            : long.MaxValue;
}
