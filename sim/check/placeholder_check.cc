// placeholder so the library is not empty
namespace lvlab { int placeholder_check = 0; }
