# %% [markdown]
# # Week 3: Planar data classification with one hidden layer, with `layerwise.course`
#
# The assignment's calls on the course's "flower" data set, then the same network as
# `lw.Network`. A py:percent notebook (open it with jupytext) and a script:
# `python examples/course_planar_shallow.py`. `LAYERWISE_EXAMPLE_ITERATIONS` shortens the
# training (the course's: 10000).

# %%
import os

import numpy as np

import layerwise as lw
from layerwise import datasets
from layerwise.course.shallow import (
    backward_propagation, compute_cost, forward_propagation, initialize_parameters, layer_sizes, nn_model, predict,
    update_parameters,
)

ITERATIONS = int(os.environ.get("LAYERWISE_EXAMPLE_ITERATIONS", 10000))

# %% [markdown]
# ## The data: 400 points of two colours, as columns

# %%
flower = datasets.planar()
X, Y = flower.X, flower.Y
print("The shape of X is: " + str(X.shape) + ", the shape of Y is: " + str(Y.shape))

# %% [markdown]
# ## One step by hand: sizes, initialisation (np.random.seed(2) inside), forward, cost, backward, update

# %%
n_x, n_h, n_y = layer_sizes(X, Y)
parameters = initialize_parameters(n_x, n_h, n_y)
print("W1 = " + str(parameters["W1"]))
A2, cache = forward_propagation(X, parameters)
print("cost = " + str(compute_cost(A2, Y)))
grads = backward_propagation(parameters, cache, X, Y)
parameters = update_parameters(parameters, grads)  # the course's learning rate, 1.2

# %% [markdown]
# ## The whole model, and its accuracy

# %%
parameters = nn_model(X, Y, n_h=4, num_iterations=ITERATIONS, print_cost=True)
predictions = predict(parameters, X)
accuracy = np.mean(predictions == Y)
print("Accuracy: %d" % (accuracy * 100) + "%")
if ITERATIONS == 10000:
    assert abs(accuracy - 0.905) < 0.01  # the course's 90 %

# %% [markdown]
# ## The same network with the library

# %%
net = lw.Network([2, 4, 1], activations=["tanh", "sigmoid"], init="small_random", seed=2)
net.fit(X, Y, learning_rate=1.2, num_iterations=ITERATIONS)
for key in parameters:
    np.testing.assert_allclose(net.parameters[key], parameters[key], rtol=1e-7, atol=1e-10)
np.testing.assert_array_equal(net.predict(X), predictions)
print(f"lw.Network: the same parameters; accuracy {net.accuracy(X, Y):.1%}")
