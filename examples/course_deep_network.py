# %% [markdown]
# # Week 4: the deep network step by step, and its application to the cats, with `layerwise.course`
#
# The step-by-step assignment's functions on its own test inputs, then the application's
# `two_layer_model` and `L_layer_model` on the cat pictures, then the same networks as
# `lw.Network`. A py:percent notebook (jupytext) and a script. The data: `$LAYERWISE_DATA` or
# `../shared/data`; `LAYERWISE_EXAMPLE_ITERATIONS` shortens the training (the course's: 2500).

# %%
import os

import numpy as np

import layerwise as lw
from layerwise import datasets
from layerwise.course.deep import (
    L_layer_model, L_model_backward, L_model_forward, initialize_parameters_deep, linear_activation_backward,
    linear_activation_forward, linear_forward, predict, two_layer_model, update_parameters,
)

ITERATIONS = int(os.environ.get("LAYERWISE_EXAMPLE_ITERATIONS", 2500))

# %% [markdown]
# ## Step by step: the caches hold `(linear_cache, Z)`, as in the course

# %%
np.random.seed(1)
A, W, b = np.random.randn(3, 2), np.random.randn(1, 3), np.random.randn(1, 1)
Z, linear_cache = linear_forward(A, W, b)
print("Z = " + str(Z))  # [[ 3.26295337 -1.23429987]]
assert np.allclose(Z, [[3.26295337, -1.23429987]])

A_out, cache = linear_activation_forward(A, W, b, activation="sigmoid")
dA_prev, dW, db = linear_activation_backward(np.ones_like(A_out), cache, activation="sigmoid")
print("dW = " + str(dW))

parameters = initialize_parameters_deep([5, 4, 3])  # np.random.seed(3) inside
print("W1 = " + str(parameters["W1"][0]))

np.random.seed(6)
X = np.random.randn(5, 4)
parameters = {"W1": np.random.randn(4, 5), "b1": np.random.randn(4, 1), "W2": np.random.randn(3, 4),
              "b2": np.random.randn(3, 1), "W3": np.random.randn(1, 3), "b3": np.random.randn(1, 1)}
AL, caches = L_model_forward(X, parameters)
print("AL = " + str(AL))  # [[0.03921668 0.70498921 0.19734387 0.04728177]]
grads = L_model_backward(AL, np.array([[1, 0, 1, 0]]), caches)
for _ in range(3):  # update_parameters leaves its argument alone: calling it again gives the same answer
    updated = update_parameters(parameters, grads, 0.1)
assert np.allclose(updated["W1"], parameters["W1"] - 0.1 * grads["dW1"])

# %% [markdown]
# ## The application: a 2-layer and a 4-layer network on the cats

# %%
train, test = datasets.cat()
train_x, train_y, test_x, test_y = train.X, train.Y, test.X, test.Y

parameters, costs = two_layer_model(train_x, train_y, layers_dims=(12288, 7, 1), num_iterations=ITERATIONS, print_cost=True)
predictions_train = predict(train_x, train_y, parameters)
predictions_test = predict(test_x, test_y, parameters)
if ITERATIONS == 2500:  # the course's: cost 0.048555 at 2400, train 100 %, test 72 %
    assert abs(costs[24] - 0.048555) < 5e-7 and np.mean(predictions_test == test_y) == 0.72

# %%
layers_dims = [12288, 20, 7, 5, 1]
parameters_deep, costs_deep = L_layer_model(train_x, train_y, layers_dims, num_iterations=ITERATIONS, print_cost=True)
pred_test = predict(test_x, test_y, parameters_deep)
if ITERATIONS == 2500:  # the course's: cost 0.092878 at 2400, test 80 %
    assert abs(costs_deep[24] - 0.092878) < 5e-7 and np.mean(pred_test == test_y) == 0.80

# %% [markdown]
# ## The same networks with the library

# %%
for dims, init, course_params in (([12288, 7, 1], "small_random", parameters), (layers_dims, "xavier", parameters_deep)):
    net = lw.Network(dims, hidden="relu", output="sigmoid", init=init, seed=1)
    net.fit(train_x, train_y, learning_rate=0.0075, num_iterations=ITERATIONS)
    for key in course_params:
        np.testing.assert_allclose(net.parameters[key], course_params[key], rtol=1e-6, atol=1e-9)
    print(f"lw.Network {dims}: the same parameters; test accuracy {net.accuracy(test_x, test_y):.0%}")
