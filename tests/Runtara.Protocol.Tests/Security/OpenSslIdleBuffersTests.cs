using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using Runtara.Protocol.Tests.Infrastructure;
using Runtara.Protocol.Transport.Sockets;

namespace Runtara.Protocol.Tests.Security;

/// <summary>
/// SSL_MODE_RELEASE_BUFFERS on server connections (docs/performance.md, "Idle connections"): set on a real
/// OpenSSL connection after its handshake, and traffic of every size still flows both ways afterwards (the
/// buffers are given back whenever they are empty and taken again for the next record).
/// </summary>
public sealed class OpenSslIdleBuffersTests
{
    [OpenSsl3Fact]
    public async Task The_mode_is_set_after_the_handshake_and_records_of_every_size_still_flow_both_ways()
    {
        using var certificates = new TestCertificates();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var clientSocket = new TcpClient();
        await clientSocket.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
        using var serverSocket = await listener.AcceptTcpClientAsync();
        await using var server = new SslStream(serverSocket.GetStream());
        await using var client = new SslStream(clientSocket.GetStream(), false, (_, _, _, _) => true);
        await Task.WhenAll(
            server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificates.Certificate }),
            client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }));

        Assert.True(OpenSslIdleBuffers.TryEnable(server));

        foreach (var size in new[] { 1, 100, 16_384, 16_385, 1_000_000 })
        {
            var sent = RandomNumberGenerator.GetBytes(size);
            await client.WriteAsync(sent);
            Assert.Equal(sent, await ReadAsync(server, size));
            await server.WriteAsync(sent);
            Assert.Equal(sent, await ReadAsync(client, size));
        }
    }

    private static async Task<byte[]> ReadAsync(Stream stream, int size)
    {
        var buffer = new byte[size];
        await stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        return buffer;
    }
}

/// <summary>A fact that reports itself skipped where .NET does not use OpenSSL 3.</summary>
public sealed class OpenSsl3FactAttribute : FactAttribute
{
    public OpenSsl3FactAttribute()
    {
        if (!OpenSslIdleBuffers.IsSupported)
        {
            Skip = "needs .NET on OpenSSL 3 (Linux): elsewhere TLS is not OpenSSL's and the mode does not exist";
        }
    }
}
