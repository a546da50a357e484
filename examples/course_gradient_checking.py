# %% [markdown]
# # Gradient checking, with `layerwise.course` and `layerwise.check_gradients`
#
# The course's exercise: a 3-layer ReLU/sigmoid network whose backward pass has two mistakes.
# `gradient_check_n` says that there is one; `lw.check_gradients` says which layer and quantity.
# A py:percent notebook (jupytext) and a script: `python examples/course_gradient_checking.py`.

# %%
import numpy as np

import layerwise as lw
from layerwise.course.gradient_checking import backward_propagation_n, forward_propagation_n, gradient_check, gradient_check_n

# %% [markdown]
# ## One dimension: J = theta x

# %%
difference = gradient_check(2, 4, print_msg=True)

# %% [markdown]
# ## N dimensions, on the course's test case

# %%
np.random.seed(1)
X = np.random.randn(4, 3)
Y = np.array([1, 1, 0])
parameters = {}
for key, shape in [("W1", (5, 4)), ("b1", (5, 1)), ("W2", (3, 5)), ("b2", (3, 1)), ("W3", (1, 3)), ("b3", (1, 1))]:
    parameters[key] = np.random.randn(*shape)


def my_backward_propagation_n(X, Y, cache):
    """The exercise's backward pass, with its two mistakes (dW2 twice too big, db1 four times)."""
    m = X.shape[1]
    (Z1, A1, W1, b1, Z2, A2, W2, b2, Z3, A3, W3, b3) = cache
    dZ3 = A3 - Y
    dW3 = 1.0 / m * np.dot(dZ3, A2.T)
    db3 = 1.0 / m * np.sum(dZ3, axis=1, keepdims=True)
    dZ2 = np.multiply(np.dot(W3.T, dZ3), np.int64(A2 > 0))
    dW2 = 1.0 / m * np.dot(dZ2, A1.T) * 2
    db2 = 1.0 / m * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = np.multiply(np.dot(W2.T, dZ2), np.int64(A1 > 0))
    dW1 = 1.0 / m * np.dot(dZ1, X.T)
    db1 = 4.0 / m * np.sum(dZ1, axis=1, keepdims=True)
    return {"dW1": dW1, "db1": db1, "dW2": dW2, "db2": db2, "dW3": dW3, "db3": db3}


cost, cache = forward_propagation_n(X, Y, parameters)
difference = gradient_check_n(parameters, my_backward_propagation_n(X, Y, cache), X, Y, 1e-7, True)
assert abs(difference - 0.2850931567761623) < 1e-7  # the course's figure

# %% [markdown]
# ## Which gradient is wrong?

# %%
check = lw.check_gradients(lambda p: forward_propagation_n(X, Y, p)[0], parameters,
                           lambda p: my_backward_propagation_n(X, Y, forward_propagation_n(X, Y, p)[1]))
print(check)
print({key: f"{value:.2g}" for key, value in check.differences.items()})
assert not check.ok and check.differences["dW2"] > 0.1 and check.differences["db1"] > 0.1

# %% [markdown]
# ## The correct backward pass passes both

# %%
difference = gradient_check_n(parameters, backward_propagation_n(X, Y, cache), X, Y, print_msg=True)
check = lw.check_gradients(lambda p: forward_propagation_n(X, Y, p)[0], parameters,
                           lambda p: backward_propagation_n(X, Y, forward_propagation_n(X, Y, p)[1]))
print(check)
assert check.ok

# %% [markdown]
# ## And the library's own backward, through a Network

# %%
net = lw.Network([4, 5, 3, 1], hidden="relu", output="sigmoid")
net.set_parameters(parameters)
print("lw.gradient_check:", lw.gradient_check(net, X, Y.reshape(1, -1)))
