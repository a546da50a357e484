# %% [markdown]
# # Week 2: Logistic Regression with a Neural Network mindset, with `layerwise.course`
#
# The assignment's calls, unchanged, on the course's cat pictures; then the same model as
# `lw.LogisticRegression`. Run from the repository root (`python examples/course_logistic_regression.py`)
# or open it in Jupyter as a py:percent notebook (jupytext). The data: `$LAYERWISE_DATA` or
# `../shared/data`. `LAYERWISE_EXAMPLE_ITERATIONS` shortens the training (the course's: 2000).

# %%
import os

import numpy as np

import layerwise as lw
from layerwise import datasets
from layerwise.course.logistic import initialize_with_zeros, model, optimize, predict, propagate, sigmoid

ITERATIONS = int(os.environ.get("LAYERWISE_EXAMPLE_ITERATIONS", 2000))

# %% [markdown]
# ## The data: each 64x64x3 picture is a column of 12288 numbers in [0, 1]

# %%
train, test = datasets.cat()
train_set_x, train_set_y, test_set_x, test_set_y = train.X, train.Y, test.X, test.Y
print("train_set_x shape:", train_set_x.shape, " test_set_x shape:", test_set_x.shape)

# %% [markdown]
# ## The helper functions, on the assignment's own test inputs

# %%
print("sigmoid([0, 2]) = " + str(sigmoid(np.array([0, 2]))))
w, b = initialize_with_zeros(2)
print("w = " + str(w.ravel()) + ", b = " + str(b))

w, b = np.array([[1.0], [2]]), 1.5
X, Y = np.array([[1.0, -2.0, -1.0], [3.0, 0.5, -3.2]]), np.array([[1, 1, 0]])
grads, cost = propagate(w, b, X, Y)
print("dw = " + str(grads["dw"].ravel()) + ", db = " + str(grads["db"]) + ", cost = " + str(cost))
assert np.allclose(grads["dw"], [[0.25071532], [-0.06604096]]) and np.isclose(cost, 0.15900537707692405)

params, grads, costs = optimize(w, b, X, Y, num_iterations=100, learning_rate=0.009, print_cost=False)
print("w = " + str(params["w"].ravel()) + ", b = " + str(params["b"]))
print("predictions = " + str(predict(np.array([[0.1124579], [0.23106775]]), -0.3, np.array([[1.0, -1.1, -3.2], [1.2, 2.0, 0.1]]))))

# %% [markdown]
# ## The model on the cats: learning rate 0.005

# %%
logistic_regression_model = model(train_set_x, train_set_y, test_set_x, test_set_y,
                                   num_iterations=ITERATIONS, learning_rate=0.005, print_cost=True)
if ITERATIONS == 2000:  # the course's figures: 99.04 % train, 70 % test
    assert abs(np.mean(logistic_regression_model["Y_prediction_train"] == train_set_y) - 0.9904) < 1e-4
    assert np.mean(logistic_regression_model["Y_prediction_test"] == test_set_y) == 0.70

# %% [markdown]
# ## The same model with the library: the one-layer network with zero initialisation

# %%
net = lw.LogisticRegression(train.n_x)
history = net.fit(train_set_x, train_set_y, learning_rate=0.005, num_iterations=ITERATIONS)
np.testing.assert_allclose(net.parameters["W1"], logistic_regression_model["w"].T, rtol=1e-9, atol=1e-12)
np.testing.assert_allclose([history.costs[i] for i in range(0, ITERATIONS, 100)], logistic_regression_model["costs"], rtol=1e-10)
np.testing.assert_array_equal(net.predict(test_set_x), logistic_regression_model["Y_prediction_test"])
print(f"lw.LogisticRegression: the same parameters; test accuracy {net.accuracy(test_set_x, test_set_y):.0%}")
