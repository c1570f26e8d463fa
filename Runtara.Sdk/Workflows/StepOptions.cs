namespace Runtara.Sdk;

/// <summary>How a step runs: its retry policy and a time limit per attempt.</summary>
public sealed record StepOptions
{
    /// <summary>The retry policy; null uses <see cref="RuntaraInstanceOptions.DefaultRetryPolicy"/>.</summary>
    public RetryPolicy? Retry { get; init; }

    /// <summary>
    /// The time limit of each attempt; null (the default) sets none. The token handed to the action is
    /// cancelled when an attempt has run this long; an attempt that then ends with
    /// <see cref="OperationCanceledException"/> counts as a failed attempt with a
    /// <see cref="TimeoutException"/>, which the retry policy may retry. The limit is cooperative: an
    /// action that ignores its token is not abandoned (so attempts never overlap).
    /// </summary>
    public TimeSpan? Timeout { get; init; }
}
