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


def test_the_verdicts_are_few_and_each_has_a_meaning():
    from acgan_lib.claims import VERDICTS

    assert list(VERDICTS) == ["holds", "holds with a caveat", "holds for a different reason",
                              "fails", "not settled"]
    assert all(meaning and "\n" not in meaning for meaning in VERDICTS.values())


def test_the_convolutional_cgans_extra_weights_are_mostly_its_one_hot_input():
    from acgan_lib.claims import label_input_gap

    gap = label_input_gap()
    # 10 more input rows of the first dense layer (7 x 7 x 32 units), less the 10 x 100 embedding
    assert gap["generator_input"] == 10 * 7 * 7 * 32 - 10 * 100
    assert gap["generator_rest"] == 0
    counts = parameter_counts()
    assert gap["total"] == counts["the course's convolutional CGAN"]["total"] \
        - counts["article ACGAN"]["total"]
    assert gap["generator_input"] > 0.5 * gap["total"]
