using System.Reflection;
using Runtara.Protocol.Transport;
using Xunit.Sdk;

namespace Runtara.Protocol.Tests.Infrastructure;

/// <summary>Runs a transport theory over TLS/TCP.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class TcpTransportAttribute : DataAttribute
{
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[TransportKind.Tcp]];
}

/// <summary>Runs a transport theory over a Unix domain socket (plain frames, no TLS).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class UnixTransportAttribute : DataAttribute
{
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[TransportKind.Unix]];
}

/// <summary>
/// Runs a transport theory over QUIC; where msquic is missing the case is reported as skipped with
/// the reason, never silently passed.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class QuicTransportAttribute : DataAttribute
{
    public QuicTransportAttribute()
    {
        if (!TransportSupport.IsQuicSupported)
        {
            Skip = "QUIC skipped: System.Net.Quic is not supported on this machine (libmsquic not found on the loader path).";
        }
    }

    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[TransportKind.Quic]];
}
