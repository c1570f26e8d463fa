using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Runtara.Protocol.Rpc;

/// <summary>A parsed server address: a host and port, or a Unix domain socket's path.</summary>
public sealed record RpcAddress(string Host, int Port)
{
    /// <summary>The scheme of Unix socket addresses: <c>unix:/run/runtara/instance.sock</c>.</summary>
    public const string UnixScheme = "unix:";

    /// <summary>The socket file of a <c>unix:</c> address (absolute path); null for host:port addresses.</summary>
    public string? UnixSocketPath { get; private init; }

    /// <summary>The endpoint to connect to: an IP endpoint for literals, a DNS endpoint for names, a Unix socket endpoint for <c>unix:</c> paths.</summary>
    public EndPoint EndPoint => UnixSocketPath is { } path
        ? new UnixDomainSocketEndPoint(path)
        : IPAddress.TryParse(Host, out var ip) ? new IPEndPoint(ip, Port) : new DnsEndPoint(Host, Port);

    /// <summary>A Unix domain socket address.</summary>
    /// <exception cref="FormatException">The path is not absolute.</exception>
    public static RpcAddress ForUnixSocket(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!Path.IsPathFullyQualified(path))
        {
            throw new FormatException($"'{path}' is not an absolute path (a Unix socket address is unix:/absolute/path).");
        }

        return new RpcAddress("localhost", 0) { UnixSocketPath = path };
    }

    /// <summary>The TLS name to verify by default: the host name, or <c>localhost</c> for IP literals.</summary>
    public string DefaultServerName => IPAddress.TryParse(Host, out _) ? "localhost" : Host;

    /// <summary>Parses <c>host:port</c>, <c>[v6]:port</c>, <c>scheme://host:port[/]</c>, or <c>unix:/absolute/path</c> (also <c>unix:///absolute/path</c>).</summary>
    public static RpcAddress Parse(string address)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        var text = address.Trim();
        if (text.StartsWith(UnixScheme, StringComparison.OrdinalIgnoreCase))
        {
            var path = text[UnixScheme.Length..];
            return ForUnixSocket(path.StartsWith("//", StringComparison.Ordinal) ? path[2..] : path);
        }
        if (text.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || uri.Port <= 0)
            {
                throw new FormatException($"'{address}' is not a valid server address (expected scheme://host:port).");
            }

            return new RpcAddress(uri.IdnHost.Trim('[', ']'), uri.Port);
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1
            || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
        {
            throw new FormatException($"'{address}' is not a valid server address (expected host:port).");
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        else if (host.Contains(':', StringComparison.Ordinal))
        {
            throw new FormatException($"'{address}' is not a valid server address (write IPv6 addresses as [addr]:port).");
        }

        return new RpcAddress(host, port);
    }

    /// <summary>
    /// Parses a comma-separated list of addresses (<c>host1:port1,host2:port2</c>), each as
    /// <see cref="Parse"/> reads it: servers a client fails over between. A single address is a list of one.
    /// Unix socket addresses cannot be mixed with network ones (they pick another transport).
    /// </summary>
    public static IReadOnlyList<RpcAddress> ParseList(string addresses)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(addresses);
        var parts = addresses.Split(',', StringSplitOptions.TrimEntries);
        if (parts.Any(part => part.Length == 0))
        {
            throw new FormatException($"'{addresses}' has an empty entry (expected host1:port1,host2:port2).");
        }

        var list = parts.Select(Parse).ToArray();
        if (list.Length > 1 && list.Any(address => address.UnixSocketPath is not null))
        {
            throw new FormatException($"'{addresses}' mixes a unix: socket with other addresses; a list names network addresses only.");
        }

        return list;
    }

    /// <summary>The address as <c>host:port</c>, with an IPv6 host in brackets (<c>[::1]:8001</c>); <see cref="Parse"/> reads it back.</summary>
    public override string ToString() =>
        UnixSocketPath is { } path ? UnixScheme + path
        : Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
