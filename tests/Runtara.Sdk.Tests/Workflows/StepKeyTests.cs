namespace Runtara.Sdk.Tests.Workflows;

public sealed class StepKeyTests
{
    [Fact]
    public void Keys_join_the_name_and_loop_indices_with_slashes()
    {
        Assert.Equal("charge/3", StepKey.For("charge", 3));
        Assert.Equal("item/2/17", StepKey.For("item", 2, 17));
        Assert.Equal("ship/order-7/line-1", StepKey.For("ship", "order-7", "line-1"));
        Assert.Equal("plain", StepKey.For("plain"));
    }

    [Fact]
    public void Keys_with_extreme_or_many_indices_are_formatted_in_full()
    {
        Assert.Equal("m/-9223372036854775808/9223372036854775807", StepKey.For("m", long.MinValue, long.MaxValue));

        // Longer than the stack buffer: formatted on the heap, the same way.
        var name = new string('n', 300);
        var indices = Enumerable.Range(0, 12).Select(i => (long)i * 1_000_000_007).ToArray();
        Assert.Equal(name + string.Concat(indices.Select(i => "/" + i.ToString(System.Globalization.CultureInfo.InvariantCulture))), StepKey.For(name, indices));
    }

    [Fact]
    public void Keys_do_not_depend_on_the_current_culture()
    {
        var previous = System.Globalization.CultureInfo.CurrentCulture;
        try
        {
            System.Globalization.CultureInfo.CurrentCulture = new System.Globalization.CultureInfo("ar-SA");
            Assert.Equal("n/-1234567", StepKey.For("n", -1234567));
        }
        finally
        {
            System.Globalization.CultureInfo.CurrentCulture = previous;
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("tab\tkey")]
    [InlineData("line\nbreak")]
    public void Empty_or_control_character_keys_are_refused(string key)
    {
        var error = Assert.Throws<InvalidStepKeyException>(() => StepKey.Validate(key));
        Assert.Equal(SdkErrorCodes.InvalidKey, error.Code);
    }

    [Fact]
    public void Overlong_keys_are_refused() =>
        Assert.Throws<InvalidStepKeyException>(() => StepKey.Validate(new string('k', StepKey.MaxLength + 1)));

    [Fact]
    public void Steps_sleeps_and_signals_live_in_separate_checkpoint_namespaces()
    {
        Assert.Equal("step:approve", StepKey.Step("approve"));
        Assert.Equal("sleep:approve", StepKey.Sleep("approve"));
        Assert.Equal("signal:approve", StepKey.Signal("approve"));
    }
}
