namespace Runtara;

/// <summary>
/// Root of every exception Runtara throws on purpose. <see cref="Code"/> is stable and maps to and
/// from <c>RpcError.code</c> on the wire, so callers match on type or code, never on message text.
/// </summary>
public abstract class RuntaraException : Exception
{
    /// <summary>Creates the exception with a stable error code.</summary>
    /// <param name="code">The stable error code (e.g. <c>INSTANCE_NOT_FOUND</c>).</param>
    /// <param name="message">The error message, for people; never matched on.</param>
    /// <param name="innerException">The cause, if any.</param>
    /// <exception cref="ArgumentException"><paramref name="code"/> is null or empty.</exception>
    protected RuntaraException(string code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        Code = code;
    }

    /// <summary>The stable error code (e.g. <c>INSTANCE_NOT_FOUND</c>).</summary>
    public string Code { get; }
}
