"""Parameter counts for the article's claim 1, checked against hand counts from the papers."""

from acgan_lib.claims import mirza_osindero_cgan, parameter_counts


def test_mirza_osindero_cgan_has_the_papers_layers():
    generator, discriminator = mirza_osindero_cgan()
    # G: 100->200 and 10->1000 (ReLU), 1200->1200 (ReLU), 1200->784 (sigmoid)
    assert generator.count_params() == (100 * 200 + 200) + (10 * 1000 + 1000) \
        + (1200 * 1200 + 1200) + (1200 * 784 + 784)
    # D: maxout 240x5 on the image, 50x5 on the label, joint maxout 240x4, one sigmoid unit
    assert discriminator.count_params() == (784 * 1200 + 1200) + (10 * 250 + 250) \
        + (290 * 960 + 960) + (240 + 1)
    assert generator.output.shape[-1] == 784 and discriminator.output.shape[-1] == 1


def test_parameter_counts_of_the_claim():
    counts = parameter_counts()
    article = counts["article ACGAN"]
    assert (article["generator"], article["discriminator"]) == (327_113, 94_987)  # the docstrings
    dcgan = counts["DCGAN with the article's layers"]
    assert article["total"] - dcgan["total"] == 10 * 100 + (128 * 10 + 10)  # embedding, class head
    assert counts["the course's convolutional CGAN"]["total"] > article["total"]
    assert counts["Mirza & Osindero's MLP CGAN"]["total"] > 8 * article["total"]
